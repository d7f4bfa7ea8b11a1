# Sphinx configuration of the book. Run through `make book` (python -m audioscale.book), which
# stages this folder with the notebooks and _generated/ into _build/book-src/ first.
#
# Why Sphinx + MyST-NB + sphinx-book-theme: the whole stack installs from PyPI and builds
# offline (the theme's fonts, icons and scripts are in its wheel). Jupyter Book 2 / mystmd
# download their theme at build time, which a closed network refuses.
import json
from pathlib import Path

HERE = Path(__file__).parent
context = json.loads((HERE / "_generated" / "context.json").read_text())

project = "audioscale"
author = "audioscale contributors"
copyright = "2026, audioscale contributors"
html_title = "Scaling Audio Models Efficiently, replicated"

extensions = ["myst_nb"]
myst_enable_extensions = ["colon_fence", "substitution", "deflist"]
myst_substitutions = context
myst_heading_anchors = 3

# The book shows the committed, executed notebooks as they are: nothing runs.
nb_execution_mode = "off"
nb_output_stderr = "remove"      # committed notebooks carry none; a hand-run one might
nb_merge_streams = True
nb_ipywidgets_js = {}            # no widgets are shown: no require.js from a CDN
nb_code_prompt_show = "Show code cell {type}"
nb_code_prompt_hide = "Hide code cell {type}"

exclude_patterns = ["_generated/*.md", "_build", "**.ipynb_checkpoints", "conf.py"]
suppress_warnings = []

html_theme = "sphinx_book_theme"
html_static_path = ["_static"]
html_css_files = ["audioscale.css"]
html_favicon = "_static/favicon.svg"   # else browsers ask for /favicon.ico and log a 404
html_copy_source = False
html_show_sourcelink = False
html_last_updated_fmt = None
# The theme reads its colour mode from here; left empty, its script logs "Got invalid theme
# mode" as a console error on a reader's first visit. Light: the figures are drawn on white.
html_context = {"default_mode": "light"}
html_theme_options = {
    "home_page_in_toc": True,
    "show_navbar_depth": 1,
    "show_toc_level": 2,
    "use_download_button": False,
    "use_fullscreen_button": False,
    "use_repository_button": False,
    "use_issues_button": False,
    "use_edit_page_button": False,
    "navigation_with_keys": False,
    "extra_footer": f"<p>Built from {context['build_commit'].replace('`', '')}; "
                    "each page names the commit its numbers come from.</p>",
}
