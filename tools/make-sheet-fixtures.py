#!/usr/bin/python3
"""Generate the spreadsheet fixtures in tests/data/sheet/ (run with /usr/bin/python3).

Every file is written from scratch here: CSV with the csv module or as raw
bytes (dialects, encodings, broken quoting), XLSX and ODS assembled with
zipfile from hand-written XML, and zip bombs made by patching the sizes a
member declares. tests/unit/test_sheet.c holds the expected values of each;
the big files (10,000 and 10,001 rows) are made there at test time. The
output is deterministic (fixed zip timestamps), so a rerun gives the same
bytes and `git status` shows nothing.
"""
import csv
import io
import os
import struct
import zipfile

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "data", "sheet")
STAMP = (2024, 1, 2, 3, 4, 6)


def write(name, data):
    if isinstance(data, str):
        data = data.encode("utf-8")
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)


def csv_text(rows, **fmt):
    s = io.StringIO()
    csv.writer(s, **fmt).writerows(rows)
    return s.getvalue()


# ---------------------------------------------------------------- CSV

def csvs():
    # Quoted commas and a quoted line break; a blank cell and a duplicate.
    write("comma.csv", csv_text([
        ["Name", "URL", "Notes"],
        ["Alpha", "https://example.com/a", "first, with comma"],
        ["Beta", "https://example.com/b", "two\nlines"],
        ["Gamma", "", "no link"],
        ["Delta", "https://example.com/a", "duplicate of alpha"],
        ["Eps, quoted", "https://example.com/e?x=1,2", 'say "hi"'],
    ], lineterminator="\n"))
    # Excel in a comma-decimal locale: semicolons, CRLF, a blank line.
    write("semicolon.csv", "Titel;Adresse;Preis\r\nEins;https://example.org/1;1,5\r\n"
          "Zwei;https://example.org/2;2,5\r\n\r\nDrei;https://example.org/3;3,0\r\n")
    write("tab.tsv", csv_text([
        ["id", "link", "comment"],
        ["1", "https://example.net/x", ""],
        ["2", "", "missing"],
        ["3", "https://example.net/y", "ok"],
    ], delimiter="\t", lineterminator="\n"))
    write("bom.csv", b"\xef\xbb\xbf" + "url,label\nhttps://example.com/caf\u00e9,caf\u00e9\n"
          "https://\u4f8b\u3048.jp/\u30d1\u30b9,japanese\n".encode())
    write("latin1.csv", "Nom;Lien;Remarque\nCaf\u00e9;https://example.fr/caf\u00e9;5 \u20ac\n"
          "Na\u00efve;https://example.fr/na\u00efve;\u00e0 voir\n".encode("cp1252"))
    # A header with spaces and odd case; blank, blank-looking and duplicate rows; blank lines at the end.
    write("odd-header.csv", "  Document URL ,Title\nhttps://example.com/1,One\n,Blank\n"
          "https://example.com/2,Two\nhttps://example.com/1,Dup\n   ,Spaces only\n"
          "https://example.com/3,Three\n\n\n")
    write("stray-quote.csv", 'url,note\nhttps://example.com/x,5" screen\nhttps://example.com/y,ok\n')
    write("unclosed-quote.csv", 'url,note\nhttps://example.com/x,"never closed\n'
          "https://example.com/y,ok\nhttps://example.com/z,ok\n")
    write("urls-only.csv", "https://example.com/1\nhttps://example.com/2\nhttps://example.com/1\n")
    write("sep.csv", "sep=;\r\nurl;n\r\nhttps://example.com/s;1\r\n")
    # Excel's "Unicode Text": UTF-16LE with a BOM, tabs, CRLF.
    write("utf16.txt", "\ufeffname\turl\r\n\u00dcber\thttps://example.de/\u00fcber\r\n"
          "Emoji\thttps://example.de/\U0001F600\r\n".encode("utf-16-le"))
    write("empty.csv", b"")
    write("image.png", b"\x89PNG\r\n\x1a\n" + b"\0\0\0\rIHDR" + bytes(17))


# ---------------------------------------------------------------- zip helpers

def zwrite(z, name, data, method=zipfile.ZIP_DEFLATED):
    info = zipfile.ZipInfo(name, STAMP)
    info.compress_type = method
    z.writestr(info, data)


def make_zip(entries, patch=None):
    """entries: [(name, text)]; patch: (name, declared size) to lie about."""
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w") as z:
        for name, data in entries:
            zwrite(z, name, data, zipfile.ZIP_STORED if name == "mimetype" else zipfile.ZIP_DEFLATED)
        off = z.getinfo(patch[0]).header_offset if patch else 0
    data = b.getvalue()
    return patch_size(data, off, patch[0], patch[1]) if patch else data


def patch_size(zipdata, local_offset, name, size):
    """Make the member name (local header at local_offset) claim size uncompressed bytes."""
    data = bytearray(zipdata)
    struct.pack_into("<I", data, local_offset + 22, size)
    cd = data.find(b"PK\x01\x02", local_offset)
    while cd >= 0:
        name_len = struct.unpack_from("<H", data, cd + 28)[0]
        if data[cd + 46: cd + 46 + name_len] == name.encode():
            struct.pack_into("<I", data, cd + 24, size)
        cd = data.find(b"PK\x01\x02", cd + 4)
    return bytes(data)


# ---------------------------------------------------------------- XLSX

NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
NS_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
REL_SHEET = NS_R + "/worksheet"
REL_SST = NS_R + "/sharedStrings"
REL_LINK = NS_R + "/hyperlink"

XLSX_TYPES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>
</Types>"""

XLSX_ROOT_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>
</Relationships>"""


def rels(items):
    """items: [(id, type, target, external)]"""
    body = "".join('<Relationship Id="%s" Type="%s" Target="%s"%s/>' % (
        i, t, target, ' TargetMode="External"' if ext else "") for i, t, target, ext in items)
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns='
            '"http://schemas.openxmlformats.org/package/2006/relationships">' + body + "</Relationships>")


def workbook(sheets):
    """sheets: [(name, rid, state or None)]"""
    body = "".join('<sheet name="%s" sheetId="%d" %sr:id="%s"/>' % (
        n, k + 1, 'state="%s" ' % st if st else "", rid) for k, (n, rid, st) in enumerate(sheets))
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<workbook xmlns="%s" '
            'xmlns:r="%s"><bookViews><workbookView/></bookViews><sheets>%s</sheets></workbook>'
            % (NS_MAIN, NS_R, body))


def worksheet(rows, extra=""):
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="%s" '
            'xmlns:r="%s"><dimension ref="A1:C12"/><sheetData>%s</sheetData>%s</worksheet>'
            % (NS_MAIN, NS_R, "".join(rows), extra))


def inline(ref, text):
    return '<c r="%s" t="inlineStr"><is><t>%s</t></is></c>' % (ref, text)


SHARED = [
    "<si><t>Name</t></si>",
    # Rich text: two runs make one string.
    '<si><r><t>Web</t></r><r><rPr><b/></rPr><t xml:space="preserve"> Address</t></r></si>',
    "<si><t>https://example.com/shared</t></si>",
    "<si><t>Report</t></si>",
    # A phonetic run (furigana) is not part of the text.
    '<si><t>\u6771\u4eac</t><rPh sb="0" eb="2"><t>\u30c8\u30a6\u30ad\u30e7\u30a6</t></rPh></si>',
    "<si><t>https://example.com/a&amp;b</t></si>",
]

MAIN_ROWS = [
    '<row r="1" spans="1:3"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c>'
    + inline("C1", "Count") + "</row>",
    '<row r="2">' + inline("A2", "first") + '<c r="B2" t="s"><v>2</v></c><c r="C2"><v>1</v></c></row>',
    '<row r="3">' + inline("A3", "second") + '<c r="B3" t="s" s="1"><v>3</v></c><c r="C3"><v>2.5</v></c></row>',
    '<row r="4"><c r="A4" t="s"><v>4</v></c><c r="B4" t="inlineStr"><is><r><t>https://example.com/</t></r>'
    "<r><rPr><i/></rPr><t>inline</t></r></is></c></row>",
    # Row 5 is missing: a gap, so a blank row.
    '<row r="6">' + inline("A6", "gap before") + '<c r="B6" t="str"><f>CONCAT("https://example.com/",'
    '"formula")</f><v>https://example.com/formula</v></c></row>',
    '<row r="7">' + inline("A7", "again") + '<c r="B7" t="s"><v>2</v></c></row>',
    '<row r="8">' + inline("A8", "bool") + '<c r="B8" t="b"><v>1</v></c></row>',
    '<row r="9">' + inline("A9", "function") + '<c r="B9" t="str"><f>HYPERLINK("https://example.com/fx",'
    '"click")</f><v>click</v></c></row>',
    '<row r="10">' + inline("A10", "entity") + '<c r="B10" t="s"><v>5</v></c></row>',
    # Cells without references: they follow each other.
    '<row r="11"><c t="inlineStr"><is><t>noref</t></is></c><c t="inlineStr"><is><t>  '
    "https://example.com/noref  </t></is></c></row>",
    '<row r="12">' + inline("A12", "no url") + "</row>",
    # Formatted but empty rows at the end are not rows.
    '<row r="20"/>',
    '<row r="30"><c r="B30" s="1"/></row>',
]

HYPERLINKS = ('<hyperlinks><hyperlink ref="B3" r:id="rId7" display="Report"/>'
              '<hyperlink ref="A2" location="Other!A1"/></hyperlinks>')


def xlsx():
    sst = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<sst xmlns="%s" count="7" '
           'uniqueCount="6">%s</sst>' % (NS_MAIN, "".join(SHARED)))
    # The first sheet listed is hidden; the visible one lives in data.xml, not sheet1.xml.
    write("shared.xlsx", make_zip([
        ("[Content_Types].xml", XLSX_TYPES),
        ("_rels/.rels", XLSX_ROOT_RELS),
        ("xl/workbook.xml", workbook([("Old", "rId3", "hidden"), ("Links", "rId1", None)])),
        ("xl/_rels/workbook.xml.rels", rels([
            ("rId1", REL_SHEET, "worksheets/data.xml", False),
            ("rId2", REL_SST, "sharedStrings.xml", False),
            ("rId3", REL_SHEET, "worksheets/sheet1.xml", False)])),
        ("xl/sharedStrings.xml", sst),
        ("xl/worksheets/sheet1.xml", worksheet(['<row r="1">' + inline("A1", "Wrong sheet") + "</row>"])),
        ("xl/worksheets/data.xml", worksheet(MAIN_ROWS, HYPERLINKS)),
        ("xl/worksheets/_rels/data.xml.rels", rels([
            ("rId7", REL_LINK, "https://example.com/linked?a=1&amp;b=2", True)])),
    ]))
    # No shared strings at all; an absolute target with a "..".
    write("inline.xlsx", make_zip([
        ("[Content_Types].xml", XLSX_TYPES),
        ("xl/workbook.xml", workbook([("Only", "rId1", None)])),
        ("xl/_rels/workbook.xml.rels", rels([("rId1", REL_SHEET, "/xl/sheets/../worksheets/only.xml", False)])),
        ("xl/worksheets/only.xml", worksheet([
            '<row r="2">' + inline("B2", "Link") + "</row>",
            '<row r="3">' + inline("B3", "https://example.com/only") + "</row>"])),
    ]))
    small_sst = ('<?xml version="1.0" encoding="UTF-8"?><sst xmlns="%s"><si><t>url</t></si></sst>' % NS_MAIN)
    base = [
        ("[Content_Types].xml", XLSX_TYPES),
        ("xl/workbook.xml", workbook([("S", "rId1", None)])),
        ("xl/_rels/workbook.xml.rels", rels([("rId1", REL_SHEET, "worksheets/sheet1.xml", False)])),
        ("xl/sharedStrings.xml", small_sst),
        ("xl/worksheets/sheet1.xml", worksheet([
            '<row r="1"><c r="A1" t="s"><v>0</v></c></row>',
            '<row r="2">' + inline("A2", "https://example.com/x") + "</row>"])),
    ]
    # A bomb: the shared strings declare 1 GB. Refused before a byte is inflated.
    write("bomb.xlsx", make_zip(base, ("xl/sharedStrings.xml", 1 << 30)))
    # A liar: the sheet declares 100 bytes and holds more.
    write("lying.xlsx", make_zip(base, ("xl/worksheets/sheet1.xml", 100)))
    # Entities need a DTD, and a DTD is refused.
    dtd = ('<?xml version="1.0"?><!DOCTYPE worksheet [<!ENTITY a "aaaaaaaaaa">]><worksheet xmlns="%s">'
           '<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&a;</t></is></c></row></sheetData>'
           "</worksheet>" % NS_MAIN)
    write("dtd.xlsx", make_zip(base[:4] + [("xl/worksheets/sheet1.xml", dtd)]))


# ---------------------------------------------------------------- ODS

ODS_NS = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
          'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
          'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
          'xmlns:xlink="http://www.w3.org/1999/xlink" '
          'xmlns:of="urn:oasis:names:tc:opendocument:xmlns:of:1.2" office:version="1.3"')
ODS_MIME = "application/vnd.oasis.opendocument.spreadsheet"
ODS_MANIFEST = """<?xml version="1.0" encoding="UTF-8"?>
<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.3">
 <manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>
 <manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>
</manifest:manifest>"""


def cell(text=None, attrs=""):
    if text is None:
        return "<table:table-cell%s/>" % attrs
    return "<table:table-cell%s><text:p>%s</text:p></table:table-cell>" % (attrs, text)


def row(cells, attrs=""):
    return "<table:table-row%s>%s</table:table-row>" % (attrs, "".join(cells))


def ods_content(tables):
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<office:document-content %s><office:body>'
            "<office:spreadsheet>%s</office:spreadsheet></office:body></office:document-content>"
            % (ODS_NS, "".join(tables)))


def ods_zip(content):
    return make_zip([("mimetype", ODS_MIME), ("META-INF/manifest.xml", ODS_MANIFEST),
                     ("content.xml", content)])


def ods():
    first = ('<table:table table:name="Links"><table:table-column table:number-columns-repeated="1024"/>'
             "<table:table-header-rows>"
             + row([cell("Title"), cell("Link"), cell(None, ' table:number-columns-repeated="1022"')])
             + "</table:table-header-rows>"
             + row([cell("Alpha"), '<table:table-cell office:value-type="string"><text:p>'
                    '<text:a xlink:href="https://example.org/alpha" xlink:type="simple">Alpha page</text:a>'
                    "</text:p></table:table-cell>"])
             + row([cell("Beta"), cell("https://example.org/<text:span>beta</text:span>")])
             + row([cell("Same"), cell("https://example.org/same")], ' table:number-rows-repeated="3"')
             + row([cell(None, ' table:number-columns-repeated="1024"')], ' table:number-rows-repeated="2"')
             + row([cell("Gamma"), cell("42,0", ' office:value-type="float" office:value="42"')])
             + row([cell("Function"), cell("fx", ' table:formula="of:=HYPERLINK(&quot;https://example.org/fx'
                                               '&quot;;&quot;fx&quot;)" office:value-type="string"')])
             + row([cell("Commented"), "<table:table-cell><office:annotation><text:p>a comment</text:p>"
                    "</office:annotation><text:p>https://example.org/annotated</text:p></table:table-cell>"])
             + row([cell("no link"), cell(None)])
             + row([cell("x", ' table:number-columns-repeated="2"')])
             # The padding office programs write to the end of the sheet, then a stray row.
             + row([cell(None, ' table:number-columns-repeated="1024"')], ' table:number-rows-repeated="1048560"')
             + row([cell("late"), cell("https://example.org/after")])
             + "</table:table>")
    second = ('<table:table table:name="Other">' + row([cell("Link")]) + row([cell("https://example.org/other")])
              + "</table:table>")
    write("links.ods", ods_zip(ods_content([first, second])))
    # Repetition that would be a billion cells if expanded.
    rep = ('<table:table table:name="R">' + row([cell("url")])
           + row([cell("https://example.org/r", ' table:number-columns-repeated="1000000"')],
                 ' table:number-rows-repeated="1000000"') + "</table:table>")
    write("repeat.ods", ods_zip(ods_content([rep])))


def main():
    os.makedirs(OUT, exist_ok=True)
    csvs()
    xlsx()
    ods()


if __name__ == "__main__":
    main()
