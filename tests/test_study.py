"""``make results`` (audioscale.study): sections run in order, a recompute run's token survives
an interruption so a rerun goes on with it, and the environment is restored afterwards."""
import os

import pytest

from audioscale import study
from audioscale.errors import AudioscaleError


@pytest.fixture()
def fake_sections(monkeypatch, tmp_path):
    monkeypatch.setenv("AUDIOSCALE_CACHE", str(tmp_path))
    monkeypatch.delenv("AUDIOSCALE_RECOMPUTE", raising=False)
    monkeypatch.delenv("AUDIOSCALE_RECOMPUTE_RUN", raising=False)
    seen = []

    def section(name, fail=False):
        def run():
            seen.append((name, os.environ.get("AUDIOSCALE_RECOMPUTE_RUN")))
            if fail:
                raise KeyboardInterrupt
            return "ok"
        return run

    monkeypatch.setattr(study, "SECTIONS", {"a": section("a"), "b": section("b")})
    return seen, section, tmp_path


def test_sections_run_in_order_and_leave_the_environment_as_it_was(fake_sections, capsys):
    seen, _, tmp_path = fake_sections
    study.compute_all(recompute=True)
    assert [name for name, _ in seen] == ["a", "b"]
    token = seen[0][1]
    assert token and seen[1][1] == token  # one run: every section shares its token
    assert "AUDIOSCALE_RECOMPUTE" not in os.environ and "AUDIOSCALE_RECOMPUTE_RUN" not in os.environ
    assert not (tmp_path / "recompute-run").exists()  # finished: the next run starts afresh
    assert "[2/2] b: ok" in capsys.readouterr().out


def test_an_interrupted_recompute_run_is_resumed_with_its_token(fake_sections, monkeypatch):
    seen, section, tmp_path = fake_sections
    monkeypatch.setattr(study, "SECTIONS", {"a": section("a"), "b": section("b", fail=True)})
    with pytest.raises(KeyboardInterrupt):
        study.compute_all(recompute=True)
    first = seen[0][1]
    assert (tmp_path / "recompute-run").read_text().strip() == first
    monkeypatch.setattr(study, "SECTIONS", {"a": section("a"), "b": section("b")})
    study.compute_all(recompute=True)
    assert seen[-1][1] == first and seen[-2][1] == first


def test_an_unknown_section_is_named(fake_sections):
    with pytest.raises(AudioscaleError, match="section='c' is not one of"):
        study.compute_all(["c"])
    assert study.main(["c"]) == 2
