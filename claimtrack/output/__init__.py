"""Everything a user reads, in one package: rows and reports as text, and how it is printed.

    formats    the registry of output formats (--format) and render(), render_listing()
    tables     Listing, and tables fitted to the terminal's width
    csv        csv and tsv, with the spreadsheet formula guard (csv_cell) export shares
    json       json and jsonl; indented_json, the fast `json.dumps(indent=2)` of every --json
    markdown   markdown, user text made inert
    html       the self-contained html report, loaded only when one is asked for
    explain    `claimtrack explain` as text
    text       the phrases several formats share (track record, links, summary line)
    printing   what a command prints: --json, tables and listings, --limit, the pager, colour

User-typed text is escaped for the format it lands in: control characters in every format,
markup in markdown and HTML, formulas in CSV.
"""
