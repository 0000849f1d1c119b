-- A long-lived pandoc (`pandoc lua pandoc-worker.lua`) that converts one document after another; see
-- evalcorr/render/pandoc_workers.py, which writes the requests and reads the answers.
--
-- Request on standard input: a line "<options bytes> <text bytes>", then the options (JSON: from, to,
-- reader, writer, meta, citeproc) and the text. Answer on standard output: a line "ok <bytes>" or
-- "error <bytes>", then the output or the error message. The worker ends when its input closes.

local function convert(request, text)
  local doc = pandoc.read(text, request.from, request.reader)
  for key, value in pairs(request.meta) do
    doc.meta[key] = value              -- as -M, --bibliography and --csl: over the document's own
  end
  if request.citeproc then
    doc = pandoc.utils.citeproc(doc)
  end
  return pandoc.write(doc, request.to, request.writer)
end

while true do
  local header = io.stdin:read("l")
  if header == nil then
    break
  end
  local options_size, text_size = header:match("^(%d+) (%d+)$")
  local request = pandoc.json.decode(io.stdin:read(tonumber(options_size)), false)
  local text = tonumber(text_size) > 0 and io.stdin:read(tonumber(text_size)) or ""
  local ok, output = pcall(convert, request, text)
  output = ok and output or tostring(output)
  io.stdout:write(ok and "ok " or "error ", #output, "\n", output)
  io.stdout:flush()
end
