"""HTML to PDF with WeasyPrint, fetching nothing from outside (only ``data:`` images)."""

from __future__ import annotations


def html_to_pdf(html: str) -> bytes:
    """Turn a self-contained HTML page into a PDF.

    Parameters
    ----------
    html : str
        The page; images must be ``data:`` URLs (anything else fails the rendering).

    Returns
    -------
    bytes
        The PDF.
    """
    import weasyprint
    from weasyprint.urls import URLFetcher

    fetcher = URLFetcher(allowed_protocols={"data"}, fail_on_errors=True)
    return weasyprint.HTML(string=html, url_fetcher=fetcher).write_pdf()
