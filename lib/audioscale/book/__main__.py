"""``python -m audioscale.book [OUT]``: build the book into OUT (default ``_build/book``)."""
from .build import main

raise SystemExit(main())
