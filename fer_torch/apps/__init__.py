"""Applications above the library core: the live session (``live_session``), dataset collection (``collect``) and
the web app (``web``). They use :mod:`fer_torch.inference` and :mod:`fer_torch.data`; nothing in the core imports
them."""
