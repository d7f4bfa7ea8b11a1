"""The book (`make book`): built offline from the committed notebooks, then read in a real browser.

The first tests need no build: the printed tables read back into the right cells, the figures
are traced to the functions that drew them, the FLOPs walk-through follows the library. Then
one build (module fixture, ~20 s) is checked as HTML, and served on 127.0.0.1 to headless
Chromium (Debian's `chromium` and `chromium-driver`, which `make test` installs where apt is
available; the browser test skips, saying so, only where they are missing): no console error
on any page, every image loads, every internal link resolves, and a screenshot of each page
goes to `_build/book-screenshots/` for a person to look at.
"""
from __future__ import annotations

import functools
import http.server
import importlib
import re
import shutil
import subprocess
import threading
import time
import urllib.parse
import urllib.error
import urllib.request
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audioscale.book import build as book_build
from audioscale.book import flops_walkthrough, pages, provenance
from audioscale.book.text_tables import TextTable, parse_table, split_stdout
from audioscale.paths import REPO

# myst-parser 5.2 and sphinx-book-theme 1.4 use Sphinx APIs that Sphinx 11 will remove: their concern
pytestmark = pytest.mark.filterwarnings("ignore:.*Check CHANGES for Sphinx API modifications")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
SCREENSHOTS = REPO / "_build" / "book-screenshots"
NOTEBOOKS = pages.notebooks()


def _stdout(path: Path) -> list[str]:
    nb = nbformat.read(path, as_version=4)
    return [o.text for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
            if o.output_type == "stream" and o.name == "stdout"]


def _tables(text: str) -> list[TextTable]:
    return [b for b in split_stdout(text) if isinstance(b, TextTable)]


# ----------------------------------------------------------------------------- printed tables
def test_to_string_tables_read_back_cell_for_cell():
    df = pd.DataFrame({
        "step (ours)": ["mini-micro -> mini-tiny", " mini-tiny -> mini-base".strip()],
        "rel_wer_change_pct (ours)": [-30.56, -17.5],
        "paper_gflops": [63.7, float("nan")],
        "verdict": ["same direction", "differs"],
    })
    table = parse_table(df.to_string(index=False).split("\n"))
    assert table is not None
    assert table.columns == list(df.columns)
    assert table.rows == [["mini-micro -> mini-tiny", "-30.56", "63.7", "same direction"],
                          ["mini-tiny -> mini-base", "-17.50", "NaN", "differs"]]
    html = table.to_html()
    assert '<td class="text good">same direction</td>' in html and '<td class="text bad">differs</td>' in html


def test_an_index_and_a_pivot_read_back():
    stats = pd.DataFrame({"embedded": [2.67, 1.766], "CREMA-D": [2.543, 1.835]}, index=["mean", "share_over_2s"])
    t = parse_table(stats.to_string().split("\n"))
    assert t is not None and t.rows == [["mean", "2.670", "2.543"], ["share_over_2s", "1.766", "1.835"]]
    pivot = pd.DataFrame({"B=0.1": [36.66, None], "B=0.2": [27.48, 26.26]},
                         index=pd.Index([0.25, 0.43], name="model_params_m"))
    t = parse_table(pivot.to_string(na_rep="").split("\n"))
    assert t is not None and len(t.header) == 2  # the index name has a line of its own
    assert t.columns == ["model_params_m", "B=0.1", "B=0.2"] and t.rows[1] == ["0.43", "", "26.26"]


def test_prose_stays_text():
    text = "ours: relative WER reductions per step 30.6 %, 17.5 %\npaper: relative WER reductions 51.7 %, 29.5 %\n"
    assert not _tables(text)
    two = "tiny-750: paper 29.3, ours 30.2 at n=10\nsmall-75: paper 35.1, ours 35.2 at n=10\n"
    assert len({len(x) for x in two.split("\n")[:2]}) == 1 and not _tables(two)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(alphabet="ab -=.%\n", max_size=40), max_size=12))
def test_splitting_stdout_loses_no_line(lines):
    text = "\n".join(lines)
    blocks = split_stdout(text)
    seen = []
    for b in blocks:
        seen += b.lines if isinstance(b, TextTable) else b.split("\n")
    assert [ln for ln in seen if ln.strip()] == [ln for ln in text.split("\n") if ln.strip()]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_committed_tables_keep_every_value_in_order(path):
    for text in _stdout(path):
        for t in _tables(text):
            for line, cells in zip(t.lines, t.header + t.rows):
                assert len(cells) == len(t.columns)
                assert " ".join(c for c in cells if c).split() == line.split(), line


def test_the_compute_budget_comparison_is_a_table():
    """The paper's GFLOPs column, recomputed: ours | paper | delta | verdict, every row."""
    first = _tables(_stdout(REPO / "notebooks" / "00_compute_budget.ipynb")[0])[0]
    assert {"gflops", "paper_gflops", "delta_gflops", "verdict"} <= set(first.columns)
    assert len(first.rows) == 22 and {r[-1] for r in first.rows} == {"match", "differs"}


# ----------------------------------------------------------------------------- figures
def test_every_figure_is_traced_to_the_function_that_drew_it():
    stems = {p.stem for p in NOTEBOOKS}
    found = {}
    for path in NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        for f in pages.find_figures(nb, path.stem):
            module, _, name = f.function.rpartition(".")
            assert module.startswith("audioscale.plots"), f
            assert callable(getattr(importlib.import_module(module), name, None)), f
            cell = [c for c in nb.cells if c.cell_type == "code"][f.code_cell - 1]
            assert "save_figure" in cell.source and f"\"{f.section}\"" in cell.source
            found[f.file] = f
    on_disk = {f"figures/{p.name}" for p in (REPO / "figures").glob("*.png")
               if any(p.stem.startswith(s + "_") for s in stems)}
    assert on_disk <= set(found), f"figures no notebook saves: {on_disk - set(found)}"
    assert found["figures/00_compute_budget_flops_breakdown.png"].function == \
        "audioscale.plots.accounting.plot_breakdown"


# ----------------------------------------------------------------------------- FLOPs page
def test_the_flops_walkthrough_follows_the_library():
    from audioscale.accounting import flops

    sym, terms, printed = flops_walkthrough.asr_terms()
    library = flops.asr_flops(sym["model"], sym["T"], sym["s"], sym["n"], "paper")
    assert sum(t.gflops for t in terms) == pytest.approx(library.total_gflops, rel=1e-12)
    assert abs(library.total_gflops - printed) <= 0.05  # small-1500-s2: the paper prints 510.0
    subs = flops_walkthrough.substitutions()
    assert subs["fw_total"] == f"{library.total_gflops:.2f}" and subs["fw_verdict"] == "match"


def test_the_flops_walkthrough_fails_when_the_formula_moves(monkeypatch):
    from audioscale.accounting import flops

    original = flops._asr_paper
    monkeypatch.setattr(flops, "_asr_paper", lambda cfg, t, s, n: {**original(cfg, t, s, n),
                                                                   "encoder_attention": 4.0 * cfg.d_model * t * t})
    with pytest.raises(AssertionError, match="encoder_attention"):
        flops_walkthrough.asr_terms()


def test_a_stamp_names_the_last_commit_of_the_file():
    rel = "notebooks/00_compute_budget.ipynb"
    git = subprocess.run(["git", "-C", str(REPO), "log", "-1", "--format=%h %cs", "--", rel],
                         capture_output=True, text=True)
    stamp = provenance.last_change(rel)
    if git.returncode != 0 or not git.stdout.strip():
        assert stamp.sha is None and "not under git" in stamp.describe()
    else:
        short, date = git.stdout.split()
        assert stamp.sha.startswith(short) and stamp.date == date
        assert f"`{stamp.short}` ({date})" in stamp.describe()


# ----------------------------------------------------------------------------- the build
@pytest.fixture(scope="module")
def book(tmp_path_factory):
    root = tmp_path_factory.mktemp("book")
    return book_build.build(root / "html", stage_dir=root / "src", warnings_file=root / "warnings.txt")


def test_the_book_builds_every_page_without_a_warning(book):
    expected = ["index.html", *(f"{p.stem}.html" for p in NOTEBOOKS),
                "figures.html", "flops-walkthrough.html", "glossary.html"]
    assert book.pages == expected
    assert book.warnings == []
    assert book.seconds < 180
    print(f"\nbook built in {book.seconds:.1f} s: {', '.join(book.pages)}")


def _html(book, name: str) -> str:
    return (book.out / name).read_text()


EXTERNAL_RESOURCE = re.compile(r'<(?:script|img|link|iframe|source)\b[^>]*\b(?:src|href)="(?:https?:)?//', re.I)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_a_notebook_page_reads_as_a_book(book, path):
    html = _html(book, f"{path.stem}.html")
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    # code folded: every code cell's source sits in a closed <details>
    assert html.count("tag_hide-input") == len(code)
    assert html.count('<details class="admonition hide above-input">') == len(code)
    # tables as tables, no stream of stderr, no widget
    n_tables = sum(len(_tables(t)) for t in _stdout(path))
    assert html.count('<table class="audioscale-table">') == n_tables
    for junk in ("stderr", "widget-view", "Traceback", "Warning:", "['figures/"):
        assert junk not in html, junk
    # figures as images with captions naming the function that drew them
    figures = [f for f in pages.find_figures(nb, path.stem) if f.exists()]
    for f in figures:
        m = re.search(rf'<figure[^>]*id="{f.label}".*?</figure>', html, re.S)
        assert m and "<img" in m.group(0) and "<figcaption>" in m.group(0), f.label
        assert f.function in m.group(0) and f"code cell {f.code_cell}" in m.group(0)
    # where the numbers come from: commit and date
    stamp = provenance.last_change(path.relative_to(REPO))
    note = re.search(r'<div class="audioscale-stamp admonition">.*?</div>', html, re.S).group(0)
    assert (stamp.short in note and stamp.date in note) if stamp.sha else "not under git" in note
    assert not EXTERNAL_RESOURCE.search(html)


def test_the_other_pages(book):
    from audioscale.accounting import flops

    index = _html(book, "index.html")
    for p in NOTEBOOKS:
        assert f'href="{p.stem}.html"' in index  # the sections table and the navigation
    assert index.count("<figure") == len(book_build.HEADLINE)
    figures = _html(book, "figures.html")
    for f in book.figures:
        assert f"#{f.label}" in figures and f.function in figures
    walk = _html(book, "flops-walkthrough.html")
    sym, terms, _ = flops_walkthrough.asr_terms()
    for t in terms:
        assert f"{t.gflops:.2f}" in walk and t.numbers in walk
    assert f"{flops.asr_flops(sym['model'], sym['T'], 1, sym['n'], 'paper').total_gflops:.2f}" in walk
    glossary = _html(book, "glossary.html")
    for term in ("xN", "xT", "xV", "adaptation depth"):
        assert f'id="term-{term.replace(" ", "-")}"' in glossary
    for name in ("index.html", "figures.html", "flops-walkthrough.html", "glossary.html"):
        html = _html(book, name)
        assert "audioscale-stamp" in html and not EXTERNAL_RESOURCE.search(html), name


# ----------------------------------------------------------------------------- the browser
class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def site(book):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(book.out)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    if not (CHROMIUM and CHROMEDRIVER):
        pytest.skip("headless Chromium not installed: the browser check of the book needs Debian's "
                    "chromium and chromium-driver (`apt-get install chromium chromium-driver`; "
                    "`make test` does it where apt is available)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", "--window-size=1600,900",
                 f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


def _fetch(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.status, r.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        return e.code, ""


def _wait_until_loaded(driver, url: str, timeout_s: float = 30.0) -> None:
    """chromedriver's get() can return while the new document still reads 'loading'."""
    deadline = time.monotonic() + timeout_s
    while not (driver.current_url.split("#")[0] == url
               and driver.execute_script("return document.readyState") == "complete"):
        assert time.monotonic() < deadline, f"{url} did not finish loading in {timeout_s:.0f} s"
        time.sleep(0.05)


def _wait_for_images(driver, timeout_s: float = 10.0) -> list[dict]:
    script = ("return Array.from(document.images).map(i => ({src: i.currentSrc || i.src, "
              "complete: i.complete, width: i.naturalWidth}));")
    deadline = time.monotonic() + timeout_s
    while True:
        images = driver.execute_script(script)
        if all(i["complete"] for i in images) or time.monotonic() > deadline:
            return images
        time.sleep(0.1)


def _screenshot(driver, path: Path, width: int = 1600, max_height: int = 16000) -> None:
    """The whole page: the window is made as tall as the page (headless has no window frame),
    which lays it out as a reader's browser would; captureBeyondViewport shifts the theme's layout."""
    height = driver.execute_script("return document.documentElement.scrollHeight;")
    driver.set_window_size(width, min(height, max_height))
    driver.save_screenshot(str(path))
    driver.set_window_size(width, 900)


def test_every_page_in_a_real_browser(book, site, browser):
    """No console error, every image drawn, every internal link and anchor resolves; a screenshot each."""
    if SCREENSHOTS.exists():
        shutil.rmtree(SCREENSHOTS)
    SCREENSHOTS.mkdir(parents=True)
    t0 = time.perf_counter()
    names = sorted(p.name for p in book.out.glob("*.html"))
    assert set(book.pages) <= set(names)
    fetched: dict[str, tuple[int, str]] = {}
    problems, n_images, n_links = [], 0, 0
    for name in names:
        browser.get(site + name)
        _wait_until_loaded(browser, site + name)
        images = _wait_for_images(browser)
        n_images += len(images)
        problems += [f"{name}: image not drawn: {i['src']}" for i in images if not (i["complete"] and i["width"] > 0)]
        problems += [f"{name}: console {e['level']}: {e['message']}" for e in browser.get_log("browser")
                     if e["level"] == "SEVERE"]
        links = browser.execute_script("return Array.from(document.querySelectorAll('a[href]')).map(a => a.href);")
        for href in links:
            if not href.startswith(site):
                continue
            n_links += 1
            target, _, fragment = href.partition("#")
            if target not in fetched:
                fetched[target] = _fetch(target)
            status, body = fetched[target]
            if status != 200:
                problems.append(f"{name}: link {href} -> HTTP {status}")
            elif fragment and not re.search(rf'\b(id|name)="{re.escape(urllib.parse.unquote(fragment))}"', body):
                problems.append(f"{name}: link {href}: no such anchor")
        _screenshot(browser, SCREENSHOTS / f"{Path(name).stem}.png")
    assert not problems, "\n".join(problems)
    assert n_images >= len(book.figures) and n_links > 10 * len(names)
    print(f"\nbrowser: {len(names)} pages, {n_images} images, {n_links} internal links in "
          f"{time.perf_counter() - t0:.1f} s; screenshots in {SCREENSHOTS.relative_to(REPO)}/")
