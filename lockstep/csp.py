"""The one widening of the Content-Security-Policy (settings.CONTENT_SECURITY_POLICY) that some pages need."""

from __future__ import annotations

from csp.constants import WASM_UNSAFE_EVAL
from csp.decorators import csp_update

# The camera scanner's QR reader where the phone has no built-in one (the barcode-detector ponyfill that
# templates/checklists/_scanner.html loads) compiles WebAssembly, which a policy forbids unless script-src
# says 'wasm-unsafe-eval'. It lets a page compile WebAssembly, never evaluate JavaScript from a string.
# For the views whose page holds the scanner, or turns into such a page in place (a reply that taps.js
# writes over the page keeps the policy of the page it replaced), and no others.
qr_reader_page = csp_update({"script-src": [WASM_UNSAFE_EVAL]})
