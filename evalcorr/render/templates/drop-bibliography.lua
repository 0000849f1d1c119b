-- A pandoc filter run after citeproc on one chapter of the PDF: drop the bibliography citeproc printed
-- in the chapter's #refs div (the references chapter prints the report's; see evalcorr/render/pdf.py).
function Div(div)
  if div.identifier == "refs" then
    return {}
  end
end
