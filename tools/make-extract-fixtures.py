#!/usr/bin/python3
"""Generate the extraction fixtures in tests/data/extract/ (run with /usr/bin/python3).

Every fixture is written from scratch here: hand-made PDF bytes (with a correct
xref table), zip files assembled with zipfile, text in several encodings. The
encrypted PDFs need qpdf (apt-get install qpdf). The output is committed; the
golden files (*.expected) are then rewritten by

    MTAG_UPDATE_GOLDEN=1 build/san/tests/test_extract

and reviewed with git diff. Deterministic except the two encrypted PDFs (qpdf
draws random salts for AES-256).
"""
import gzip
import io
import os
import struct
import subprocess
import sys
import zipfile
import zlib

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "data", "extract")
STAMP = (2024, 1, 2, 3, 4, 6)  # zip entry times, so reruns give the same bytes


def write(name, data):
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)


# ---------------------------------------------------------------- PDF

def pdf_string_utf16(s):
    return b"<FEFF" + s.encode("utf-16-be").hex().upper().encode() + b">"


def make_pdf(pages, info=None):
    """pages: list of content-stream bytes; info: dict of Info entries (already PDF syntax)."""
    objs = []  # object bodies, numbered from 1

    def add(body):
        objs.append(body)
        return len(objs)

    catalog = add(None)
    pages_obj = add(None)
    font = add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    kids = []
    for content in pages:
        stream = add(b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream")
        kids.append(add(b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 612 792] "
                        b"/Resources << /Font << /F1 %d 0 R >> >> /Contents %d 0 R >>"
                        % (pages_obj, font, stream)))
    objs[catalog - 1] = b"<< /Type /Catalog /Pages %d 0 R >>" % pages_obj
    objs[pages_obj - 1] = (b"<< /Type /Pages /Kids [" + b" ".join(b"%d 0 R" % k for k in kids)
                           + b"] /Count %d >>" % len(kids))
    info_obj = None
    if info:
        info_obj = add(b"<< " + b" ".join(b"/" + k.encode() + b" " + v for k, v in info.items()) + b" >>")

    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, body in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    trailer = b"<< /Size %d /Root %d 0 R" % (len(objs) + 1, catalog)
    if info_obj:
        trailer += b" /Info %d 0 R" % info_obj
    out += b"trailer\n" + trailer + b" >>\nstartxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


def text_ops(lines, x=72, y=720, size=14):
    ops = [b"BT /F1 %d Tf %d %d Td %d TL" % (size, x, y, size + 6)]
    for line in lines:
        esc = line.encode("cp1252").replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")
        ops.append(b"(" + esc + b") Tj T*")
    ops.append(b"ET")
    return b"\n".join(ops)


def pdfs():
    page1 = text_ops(["Hello from page one.", "Café crème brûlée (with parentheses)."]) + b"\n" + \
        text_ops(["A second block, further down."], y=400)
    page2 = text_ops(["Second page: the end.", "Price: 12 € — “quoted”."])
    info = {
        "Title": pdf_string_utf16("Golden Test — Café"),
        "Author": b"(Ada Lovelace)",
        "Subject": b"(Extraction fixtures)",
        "Keywords": b"(pdf, golden, test)",
        "Creator": b"(make-extract-fixtures.py)",
        "Producer": b"(   )",  # blank: must come out as no value
        "CreationDate": b"(D:20200102030405+01'00')",
        "ModDate": b"(D:20210304050607)",
    }
    two = make_pdf([page1, page2], info)
    write("two-pages.pdf", two)
    # A page with a drawing and no text, like a scan.
    write("no-text.pdf", make_pdf([b"0 0 1 rg 100 100 200 200 re f"]))
    # Cut in the middle: MuPDF repairs what it can.
    write("truncated.pdf", two[: len(two) * 55 // 100])
    # Cut before any page's text: MuPDF repairs it to pages with none, which is
    # a damaged file, not an empty document.
    write("cut-short.pdf", two[:300])
    # A scan padded after its %%EOF: complete, no text, not a failure.
    write("padded.pdf", make_pdf([b"0 0 1 rg 100 100 200 200 re f"]) + b"\r\n" * 600 + b"\0" * 1100)
    # A page tree without pages; one that claims three and holds none.
    write("no-pages.pdf", make_pdf([]))
    write("lying-count.pdf", make_pdf([]).replace(b"/Count 0", b"/Count 3"))
    # A header and nothing else.
    write("header-only.pdf", b"%PDF-1.7\n%%EOF\n")
    plain = os.path.join(OUT, "two-pages.pdf")
    for name, user in (("encrypted-user.pdf", "user"), ("encrypted-owner.pdf", "")):
        subprocess.run(["qpdf", "--static-id", "--encrypt", user, "owner", "256", "--",
                        plain, os.path.join(OUT, name)], check=True)


# ---------------------------------------------------------------- zip formats

def zwrite(z, name, data, method=zipfile.ZIP_DEFLATED):
    info = zipfile.ZipInfo(name, STAMP)
    info.compress_type = method
    z.writestr(info, data)


DOCX_TYPES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>
<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>
<Override PartName="/docProps/app.xml" ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/>
</Types>"""

DOCX_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/>
<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/>
<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/extended-properties" Target="docProps/app.xml"/>
</Relationships>"""

DOCX_BODY = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"
 xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006"
 xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape"
 xmlns:v="urn:schemas-microsoft-com:vml" mc:Ignorable="wps">
<w:body>
<w:p><w:pPr><w:pStyle w:val="Title"/></w:pPr><w:r><w:t>Quarterly Report</w:t></w:r></w:p>
<w:p><w:pPr><w:tabs><w:tab w:val="left" w:pos="720"/></w:tabs></w:pPr>
<w:r><w:t>Hel</w:t></w:r><w:r><w:rPr><w:b/></w:rPr><w:t>lo</w:t></w:r><w:r><w:tab/><w:t>world</w:t><w:br/><w:t xml:space="preserve">next line &amp; &lt;tags&gt; </w:t></w:r></w:p>
<w:p><w:r><w:t>Kept</w:t></w:r><w:del w:id="1" w:author="x"><w:r><w:delText>DELETED</w:delText></w:r></w:del><w:r><w:t xml:space="preserve"> text, na\u00efve caf\u00e9 \u2014 \u2713 non</w:t></w:r><w:r><w:noBreakHyphen/><w:t>breaking</w:t></w:r></w:p>
<w:p><w:moveFrom w:id="2" w:author="x"><w:r><w:t>MOVED AWAY</w:t></w:r></w:moveFrom><w:r><w:t>Moved here.</w:t></w:r></w:p>
<w:p><w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText xml:space="preserve"> PAGE </w:instrText></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r></w:p>
<w:tbl><w:tr><w:tc><w:p><w:r><w:t>cell A</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>cell B</w:t></w:r></w:p></w:tc></w:tr></w:tbl>
<w:p><w:r><mc:AlternateContent><mc:Choice Requires="wps"><w:drawing><w:txbxContent><w:p><w:r><w:t>Text box</w:t></w:r></w:p></w:txbxContent></w:drawing></mc:Choice>
<mc:Fallback><w:pict><v:textbox><w:txbxContent><w:p><w:r><w:t>FALLBACK COPY</w:t></w:r></w:p></w:txbxContent></v:textbox></w:pict></mc:Fallback></mc:AlternateContent></w:r></w:p>
<w:p/>
<w:p><w:r><w:t>Last paragraph.</w:t></w:r></w:p>
<w:sectPr/>
</w:body>
</w:document>"""

DOCX_CORE = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties"
 xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/"
 xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<dc:title>Quarterly   Report
 Q3</dc:title>
<dc:subject>Finance</dc:subject>
<dc:creator>Jane Doe</dc:creator>
<cp:keywords>finance, report</cp:keywords>
<dc:description>not the subject</dc:description>
<cp:lastModifiedBy>John Roe</cp:lastModifiedBy>
<dcterms:created xsi:type="dcterms:W3CDTF">2021-05-06T07:08:09Z</dcterms:created>
<dcterms:modified xsi:type="dcterms:W3CDTF">2021-06-07T08:09:10Z</dcterms:modified>
</cp:coreProperties>"""

DOCX_APP = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">
<Application>Microsoft Office Word</Application><Pages>1</Pages></Properties>"""


def docx():
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w") as z:
        zwrite(z, "[Content_Types].xml", DOCX_TYPES)
        zwrite(z, "_rels/.rels", DOCX_RELS)
        zwrite(z, "word/document.xml", DOCX_BODY)
        zwrite(z, "docProps/core.xml", DOCX_CORE)
        zwrite(z, "docProps/app.xml", DOCX_APP)
    write("report.docx", b.getvalue())


ODT_CONTENT = """<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"
 xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"
 xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"
 xmlns:dc="http://purl.org/dc/elements/1.1/" office:version="1.3">
<office:body><office:text>
<text:tracked-changes><text:changed-region text:id="c1"><text:deletion><text:p>DELETED TEXT</text:p></text:deletion></text:changed-region></text:tracked-changes>
<text:h text:outline-level="1">Meeting   notes</text:h>
<text:p>Three<text:s text:c="3"/>spaces, a<text:tab/>tab and a<text:line-break/>line break.</text:p>
<text:p>  White   space
   is collapsed, <text:span>spans</text:span> are inline.<office:annotation><dc:creator>x</dc:creator><text:p>ANNOTATION</text:p></office:annotation></text:p>
<text:list><text:list-item><text:p>first item</text:p></text:list-item><text:list-item><text:p>second item \u00e9\u00e8</text:p></text:list-item></text:list>
<table:table><table:table-row><table:table-cell><text:p>cell 1</text:p></table:table-cell><table:table-cell><text:p>cell 2</text:p></table:table-cell></table:table-row></table:table>
<text:p/>
<text:p>End &amp; goodbye.</text:p>
</office:text></office:body></office:document-content>"""

ODT_META = """<?xml version="1.0" encoding="UTF-8"?>
<office:document-meta xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"
 xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0" xmlns:dc="http://purl.org/dc/elements/1.1/" office:version="1.3">
<office:meta>
<meta:generator>LibreOffice/7.4</meta:generator>
<dc:title>Meeting Notes</dc:title>
<dc:creator>Last Editor</dc:creator>
<meta:initial-creator>First Author</meta:initial-creator>
<dc:subject>Planning</dc:subject>
<meta:keyword>meeting</meta:keyword>
<meta:keyword>notes</meta:keyword>
<meta:creation-date>2022-03-04T05:06:07.123456789</meta:creation-date>
<dc:date>2022-03-05T10:00:00</dc:date>
</office:meta></office:document-meta>"""

ODT_MANIFEST = """<?xml version="1.0" encoding="UTF-8"?>
<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.3">
<manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.text"/>
<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>
<manifest:file-entry manifest:full-path="meta.xml" manifest:media-type="text/xml"/>
</manifest:manifest>"""


def odt():
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w") as z:
        zwrite(z, "mimetype", "application/vnd.oasis.opendocument.text", zipfile.ZIP_STORED)
        zwrite(z, "META-INF/manifest.xml", ODT_MANIFEST)
        zwrite(z, "content.xml", ODT_CONTENT)
        zwrite(z, "meta.xml", ODT_META)
    write("notes.odt", b.getvalue())


EPUB_CONTAINER = """<?xml version="1.0" encoding="UTF-8"?>
<container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container">
<rootfiles><rootfile full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/></rootfiles>
</container>"""

EPUB_OPF = """<?xml version="1.0" encoding="UTF-8"?>
<package xmlns="http://www.idpf.org/2007/opf" version="3.0" unique-identifier="id">
<metadata xmlns:dc="http://purl.org/dc/elements/1.1/">
<dc:identifier id="id">urn:uuid:00000000-0000-4000-8000-000000000001</dc:identifier>
<dc:title>A Tiny Book</dc:title><dc:creator>Jane Author</dc:creator><dc:language>en</dc:language>
<meta property="dcterms:modified">2024-01-02T03:04:05Z</meta>
</metadata>
<manifest>
<item id="c1" href="chap1.xhtml" media-type="application/xhtml+xml"/>
<item id="c2" href="chap2.xhtml" media-type="application/xhtml+xml"/>
</manifest>
<spine><itemref idref="c1"/><itemref idref="c2"/></spine>
</package>"""

EPUB_CHAPTER = """<?xml version="1.0" encoding="UTF-8"?>
<html xmlns="http://www.w3.org/1999/xhtml"><head><title>{title}</title></head>
<body><h1>{title}</h1><p>{text}</p></body></html>"""


def epub():
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w") as z:
        zwrite(z, "mimetype", "application/epub+zip", zipfile.ZIP_STORED)
        zwrite(z, "META-INF/container.xml", EPUB_CONTAINER)
        zwrite(z, "OEBPS/content.opf", EPUB_OPF)
        zwrite(z, "OEBPS/chap1.xhtml", EPUB_CHAPTER.format(
            title="Chapter One", text="It was a bright cold day in April."))
        zwrite(z, "OEBPS/chap2.xhtml", EPUB_CHAPTER.format(
            title="Chapter Two", text="The clocks were striking thirteen \u2014 caf\u00e9."))
    write("tiny.epub", b.getvalue())


XPS_TYPES = """<?xml version="1.0" encoding="UTF-8"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="fdseq" ContentType="application/vnd.ms-package.xps-fixeddocumentsequence+xml"/>
<Default Extension="fdoc" ContentType="application/vnd.ms-package.xps-fixeddocument+xml"/>
<Default Extension="fpage" ContentType="application/vnd.ms-package.xps-fixedpage+xml"/>
</Types>"""

XPS_RELS = """<?xml version="1.0" encoding="UTF-8"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Type="http://schemas.microsoft.com/xps/2005/06/fixedrepresentation" Target="/FixedDocumentSequence.fdseq" Id="R0"/>
</Relationships>"""

XPS_PAGE = """<FixedPage xmlns="http://schemas.microsoft.com/xps/2005/06" Width="816" Height="1056" xml:lang="en-US">
<Glyphs Fill="#ff000000" FontUri="/Resources/absent.ttf" FontRenderingEmSize="16" OriginX="96" OriginY="96" UnicodeString="{text}"/>
</FixedPage>"""


def xps():
    # No font is embedded (it would be the largest file here): MuPDF falls back to a built-in one.
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w") as z:
        zwrite(z, "[Content_Types].xml", XPS_TYPES)
        zwrite(z, "_rels/.rels", XPS_RELS)
        zwrite(z, "FixedDocumentSequence.fdseq",
               '<FixedDocumentSequence xmlns="http://schemas.microsoft.com/xps/2005/06">'
               '<DocumentReference Source="/Documents/1/FixedDocument.fdoc"/></FixedDocumentSequence>')
        zwrite(z, "Documents/1/FixedDocument.fdoc",
               '<FixedDocument xmlns="http://schemas.microsoft.com/xps/2005/06">'
               '<PageContent Source="/Documents/1/Pages/1.fpage"/>'
               '<PageContent Source="/Documents/1/Pages/2.fpage"/></FixedDocument>')
        zwrite(z, "Documents/1/Pages/1.fpage", XPS_PAGE.format(text="Hello from an XPS page"))
        zwrite(z, "Documents/1/Pages/2.fpage", XPS_PAGE.format(text="Second XPS page"))
    write("pages.xps", b.getvalue())


def xlsx():
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w") as z:
        zwrite(z, "[Content_Types].xml", DOCX_TYPES)
        zwrite(z, "xl/workbook.xml", "<workbook/>")
    write("sheet.xlsx", b.getvalue())


def bombs():
    # A real bomb: 1 GiB of zeros, bzip2-compressed into under a kilobyte.
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w") as z:
        zwrite(z, "[Content_Types].xml", DOCX_TYPES)
        info = zipfile.ZipInfo("word/document.xml", STAMP)
        info.compress_type = zipfile.ZIP_BZIP2
        with z.open(info, "w", force_zip64=True) as f:
            chunk = b"\0" * (1 << 20)
            for _ in range(1024):
                f.write(chunk)
    write("bomb.docx", b.getvalue())

    # A liar: word/document.xml inflates to 2 MB but its headers say 1000 bytes.
    para = "<w:p><w:r><w:t>%s</w:t></w:r></w:p>" % ("lorem ipsum " * 8)
    body = ('<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/'
            'wordprocessingml/2006/main"><w:body>' + para * (2000000 // len(para)) + "</w:body></w:document>")
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w") as z:
        zwrite(z, "[Content_Types].xml", DOCX_TYPES)
        zwrite(z, "word/document.xml", body)
        off = z.getinfo("word/document.xml").header_offset
    write("lying-size.docx", patch_size(b.getvalue(), off, "word/document.xml", 1000))

    # An EPUB whose chapter claims 1 GiB: MuPDF allocates what the header says, and
    # the memory cap of extract_pdf.c refuses it.
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w") as z:
        zwrite(z, "mimetype", "application/epub+zip", zipfile.ZIP_STORED)
        zwrite(z, "META-INF/container.xml", EPUB_CONTAINER)
        zwrite(z, "OEBPS/content.opf", EPUB_OPF.replace('<item id="c2" href="chap2.xhtml" media-type="application/xhtml+xml"/>', "")
               .replace('<itemref idref="c2"/>', ""))
        zwrite(z, "OEBPS/chap1.xhtml", EPUB_CHAPTER.format(title="Huge", text="claims a gigabyte"))
        off = z.getinfo("OEBPS/chap1.xhtml").header_offset
    write("huge-entry.epub", patch_size(b.getvalue(), off, "OEBPS/chap1.xhtml", 1 << 30))


def patch_size(zipdata, local_offset, name, size):
    """Make the entry name (local header at local_offset) claim size uncompressed bytes."""
    data = bytearray(zipdata)
    struct.pack_into("<I", data, local_offset + 22, size)   # local header: uncompressed size
    cd = data.find(b"PK\x01\x02", local_offset)
    while cd >= 0:
        name_len = struct.unpack_from("<H", data, cd + 28)[0]
        if data[cd + 46: cd + 46 + name_len] == name.encode():
            struct.pack_into("<I", data, cd + 24, size)     # central directory: the same
        cd = data.find(b"PK\x01\x02", cd + 4)
    return bytes(data)


# ---------------------------------------------------------------- HTML and text

HTML_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>
   Tagging   &amp; Extraction
   Test </title>
<meta name="author" content="Grace Hopper">
<meta name="description" content="A page to test HTML text extraction.">
<meta name="keywords" content="html, extraction, golden">
<meta name="generator" content="vim">
<style>body { color: red; } .x::after { content: "STYLE LEAK"; }</style>
<script>document.write("SCRIPT LEAK");</script>
</head>
<body>
<!-- COMMENT LEAK -->
<h1>Main   heading</h1>
<p>First paragraph with <b>bold</b>, <i>italic</i> and a <a href="#">link</a>.
Entities: &eacute; &amp; &lt;tag&gt; &#x263A; &#8364; caf&eacute;&nbsp;au&nbsp;lait.</p>
<div>Block one</div><div>Block two<br>after break</div>
<ul><li>item one</li><li>item two</li></ul>
<table><tr><td>cell A</td><td>cell B</td></tr><tr><td>cell C</td><td>cell D</td></tr></table>
<pre>  preformatted
    text   kept</pre>
<noscript>NOSCRIPT LEAK</noscript>
<template><p>TEMPLATE LEAK</p></template>
<svg><text>SVG LEAK</text></svg>
<script type="text/javascript">
  var s = "<p>SCRIPT LEAK 2</p>";
</script>
<p>Last   paragraph
   spanning lines.</p>
</body></html>
"""

HTML_CP1252 = (b'<html><head><meta http-equiv="Content-Type" content="text/html; charset=windows-1252">'
               b"<title>Caf\xe9 menu</title></head><body><p>Cr\xe8me br\xfbl\xe9e: 5 \x80, "
               b"\x93quoted\x94</p></body></html>\n")

# A byte order mark beside a <meta charset> that contradicts it: WHATWG has the
# BOM win. The body really is in the BOM's encoding.
HTML_BOM_META = ('<html><head><meta charset="windows-1251"><title>Новости дня</title></head>'
                 "<body><p>Сегодня мы представляем новую систему тегов.</p></body></html>\n")


def texts():
    write("page.html", HTML_PAGE.encode())
    write("cp1252.html", HTML_CP1252)
    write("utf8-bom-meta.html", b"\xef\xbb\xbf" + HTML_BOM_META.encode())
    write("utf16le-bom-meta.html", b"\xff\xfe" + HTML_BOM_META.encode("utf-16-le"))
    # HTML with neither <html> nor <head> nor <body>, as a browser still sniffs it.
    write("fragment.html", b"<p>A fragment of <b>HTML</b>,\nno head &amp; no body.</p>\n"
          b"<div>Second <a href='/x'>block</a></div>\n")
    # Text that starts like a tag but is none.
    write("angle.txt", b"<3 plain text that opens with an angle bracket\n<pre isn't a tag here\n")
    # A tag's name cut by the end of the file is no tag.
    write("tag-cut.txt", b"<b")
    write("latin1.txt", "Café crème\nnaïve résumé — 12 €\n".encode("cp1252"))
    write("utf8-bom.txt", b"\xef\xbb\xbf" + "Línea uno\r\nLínea dos\r\n\r\nÜber straße “quotes” 日本語\r\n".encode())
    # Mostly UTF-8 (so read as UTF-8), with a stray byte and a cut sequence.
    write("utf8-damaged.txt", "Mostly fine: café, naïve, 日本語; ".encode() + b"bad \xff byte, cut \xe2\x82 here.\n")
    write("utf16le.txt", b"\xff\xfe" + "Hello UTF-16 wörld 😀\r\nsecond line\r\n".encode("utf-16-le"))


def binaries():
    write("empty.dat", b"")
    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\0\xff\0\0")

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    write("image.png", b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b""))
    write("data.gz", gzip.compress(b"hello, world\n", mtime=0))
    write("random.bin", bytes((i * 131 + 7) % 256 for i in range(4096)))


def main():
    os.makedirs(OUT, exist_ok=True)
    pdfs()
    docx()
    odt()
    epub()
    xps()
    xlsx()
    bombs()
    texts()
    binaries()
    print("fixtures written to", os.path.normpath(OUT), file=sys.stderr)


if __name__ == "__main__":
    main()
