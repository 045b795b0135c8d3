"""Every PDF Lockstep prints (labels, runbooks, debriefs) is made here, by WeasyPrint with a URL fetcher that
reaches nothing but data: URLs and our own static files.

WeasyPrint's own fetcher opens whatever a document names (http:, file:), so a name or comment that reached a
PDF's HTML unescaped could make the server request an internal address or read a file into the PDF. This one
refuses: WeasyPrint then leaves the resource out and the PDF is still made. Import this module where a PDF is
printed, not at the top of a module: loading WeasyPrint takes a moment, and most requests never print.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Callable, Iterable
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit
from urllib.request import DataHandler, Request

import weasyprint
from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from weasyprint.urls import URLFetcher, URLFetcherResponse

from lockstep.public import public_url


class ResourceRefused(ValueError):
    """A PDF named something to fetch that is neither a data: URL nor one of our static files."""


def render_pdf(html: str, *, laid_out: Callable[[int], None] | None = None) -> bytes:
    """`html` as PDF bytes. Relative addresses resolve on the public host (a `{% static %}` path becomes one of
    our static files, read from disk); nothing is ever requested over the network. `laid_out`, if given, is
    told the number of pages once they are laid out, before the file is written."""
    return render_pdf_in_parts([html], laid_out=laid_out)


def render_pdf_in_parts(parts: Iterable[str], *, laid_out: Callable[[int], None] | None = None) -> bytes:
    """Several HTML documents laid out one after another and written as one PDF. A long print (a hall's
    labels) is laid out a part at a time so that whoever waits can be told how far it has come: `parts` may be
    a generator that reports progress between the parts it yields."""
    documents = [
        weasyprint.HTML(string=html, base_url=public_url("/"), url_fetcher=OwnFilesOnly()).render()
        for html in parts
    ]
    pages = [page for document in documents for page in document.pages]
    if laid_out is not None:
        laid_out(len(pages))
    return documents[0].copy(pages).write_pdf()


class OwnFilesOnly(URLFetcher):
    """Hands WeasyPrint a data: URL's content or one of our static files; refuses everything else."""

    def fetch(self, url: str, headers: dict | None = None) -> URLFetcherResponse:
        if url[:5].lower() == "data:":
            # urllib's data: handler alone: the opener WeasyPrint would use also knows http, ftp and file.
            answer = DataHandler().data_open(Request(url))  # noqa: S310 (a data: URL, checked above)
            return URLFetcherResponse(url, answer.read(), dict(answer.headers.items()))
        path = static_file(url)
        if path is None:
            raise ResourceRefused(
                f"A PDF embeds only data: URLs and Lockstep's static files, not {url[:200]}"
            )
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": content_type})


def static_file(url: str) -> Path | None:
    """The file on disk behind `url` when it is one of our static files as `{% static %}` names it (under
    STATIC_URL on the public host); None for any other address."""
    prefix = urlsplit(urljoin(public_url("/"), settings.STATIC_URL))
    parts = urlsplit(url)
    if (parts.scheme.lower(), parts.netloc.lower()) != (prefix.scheme.lower(), prefix.netloc.lower()):
        return None
    if not parts.path.startswith(prefix.path):
        return None
    name = unquote(parts.path[len(prefix.path) :])
    segments = name.split("/")
    if not name or "\\" in name or "\x00" in name or any(s in ("", ".", "..") for s in segments):
        return None
    # The source files (STATICFILES_DIRS and the apps' static/), then collectstatic's copies: with the
    # manifest storage, `{% static %}` names the hashed copy, which only STATIC_ROOT has.
    found = finders.find(name)
    if found is None and staticfiles_storage.exists(name):
        found = staticfiles_storage.path(name)
    return Path(found) if found else None
