-- A pandoc filter run after citeproc on the PDF's chapters when none of them lists the references: drop
-- the bibliography citeproc printed in the #refs div added at the end (see evalcorr/render/pdf.py).
function Div(div)
  if div.identifier == "refs" then
    return {}
  end
end
