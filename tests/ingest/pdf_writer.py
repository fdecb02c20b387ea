"""A minimal PDF writer for tests: real, parseable files with one text line per row, no package."""
from __future__ import annotations


def make_pdf(pages: list[list[str]]) -> bytes:
    """A PDF whose page i shows the ASCII lines pages[i] in Helvetica, top to bottom."""
    first_page = 4  # objects 1-3: catalog, page tree, font; then (page, content) per page
    kids = " ".join(f"{first_page + 2 * i} 0 R" for i in range(len(pages)))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{kids}] /Count {len(pages)} >>".encode(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    for i, lines in enumerate(pages):
        content = "\n".join(["BT", "/F1 10 Tf", "14 TL", "40 780 Td", *(f"({line}) Tj T*" for line in lines), "ET"])
        stream = content.encode("latin-1")
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
            f"/Resources << /Font << /F1 3 0 R >> >> /Contents {first_page + 2 * i + 1} 0 R >>".encode()
        )
        objects.append(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream))
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


NANUM = "/usr/share/fonts/truetype/nanum/NanumGothic.ttf"  # Debian fonts-nanum (Makefile: browser)


def make_korean_pdf(pages: list[list[tuple[str, float]]], footers: list[str] | None = None) -> bytes:
    """A multi-page A4 PDF of Korean lines (text, font size), drawn by matplotlib in NanumGothic.

    Lines go top to bottom at 1.6 × their size; an empty text leaves a blank line; footers[i]
    sits centred at the bottom of page i. Fonts are embedded as TrueType (Type 42), so the text
    layer is real, as in a word processor's PDF.
    """
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.backends.backend_pdf import PdfPages
    from matplotlib.font_manager import FontProperties

    font = FontProperties(fname=NANUM)
    out = io.BytesIO()
    with matplotlib.rc_context({"pdf.fonttype": 42}), PdfPages(out) as pdf:
        for number, lines in enumerate(pages):
            figure = plt.figure(figsize=(8.27, 11.69))  # A4 in inches, 595 × 842 points
            y = 800.0
            for text, size in lines:
                if text:
                    figure.text(60 / 595, y / 842, text, fontproperties=font, fontsize=size, va="top")
                y -= 1.6 * size
            if footers:
                figure.text(0.5, 40 / 842, footers[number], fontproperties=font, fontsize=9, ha="center")
            pdf.savefig(figure)
            plt.close(figure)
    return out.getvalue()
