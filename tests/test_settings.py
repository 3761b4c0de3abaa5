"""Settings in one place: defaults < settings file < environment < options, loaded and
checked once per command, shown by `info` with where each came from, recorded by reports."""

from __future__ import annotations

import pytest
from seed_example import enter_seed

from claimtrack import settings as settings_module


@pytest.fixture
def settings_file(tmp_path, monkeypatch):
    path = tmp_path / "settings.toml"
    monkeypatch.setenv("CLAIMTRACK_SETTINGS", str(path))
    return path


def test_info_shows_each_setting_and_where_it_came_from(cli, settings_file):
    settings_file.write_text("reliability_f = 0.52\nprior = 0.45\n")
    data = cli.ok("info", "--json", env={"CLAIMTRACK_PRIOR": "0.4"}).json()
    assert data["settings_file"] == str(settings_file)
    assert data["settings"]["reliability_f"] == {"value": 0.52, "from": str(settings_file)}
    assert data["settings"]["prior"] == {"value": 0.4, "from": "CLAIMTRACK_PRIOR"}
    assert data["settings"]["reliability_a"] == {"value": 0.9, "from": "default"}
    text = cli.ok("info", env={"CLAIMTRACK_PRIOR": "0.4"}).stdout
    assert f"settings file     {settings_file}" in text
    assert "prior                     0.4      CLAIMTRACK_PRIOR" in text


def test_the_settings_file_changes_the_status_and_the_report_records_it(cli, settings_file):
    enter_seed(cli)
    assert cli.ok("claim", "show", "halt", "--json").json()["status"] == "corroborated"
    settings_file.write_text("corroborated_min_origins = 3\n")
    assert cli.ok("claim", "show", "halt", "--json").json()["status"] == "unverified"
    scoring = cli.ok("report", "--json").json()["scoring"]
    assert scoring["model"] == settings_module.SCORING_MODEL
    assert scoring["settings"]["corroborated_min_origins"] == 3
    assert scoring["settings_from"] == {"corroborated_min_origins": str(settings_file)}
    html = cli.ok("report", "--format", "html").stdout
    assert '<details class="scoring">' in html
    assert f"<td>corroborated_min_origins</td><td>3</td><td>{settings_file}</td>" in html


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("reliability_f = 2\n", "reliability_f in {path}: 2 is not valid; expected a probability"),
        ("colour = 2\n", "colour in {path}: 2 is not valid; expected one of"),
        ("prior = 'high'\n", "prior in {path}: 'high' is not valid; expected a float"),
        ("prior = \n", "{path}: "),
    ],
)
def test_a_bad_settings_file_names_the_key_and_the_file(cli, settings_file, content, message):
    settings_file.write_text(content)
    run = cli("claim", "list")
    assert run.exit_code == 1
    assert run.stderr.startswith("Error: " + message.format(path=settings_file)), run.stderr


def test_the_environment_wins_over_the_file_and_an_option_over_both(cli, settings_file):
    settings_file.write_text("duplicate_threshold = 2\n")
    run = cli("duplicates", env={"CLAIMTRACK_DUPLICATE_THRESHOLD": "0.9"})
    assert run.exit_code == 0, run.stderr
    run = cli("duplicates", "--threshold", "2", env={"CLAIMTRACK_DUPLICATE_THRESHOLD": "0.9"})
    assert run.stderr.startswith("Error: --threshold: 2.0 is not valid")


def test_a_command_reads_its_settings_once(cli, monkeypatch):
    enter_seed(cli)
    calls = []
    load = settings_module.load
    monkeypatch.setattr(settings_module, "load", lambda: calls.append(1) or load())
    cli.ok("report", "--format", "html")
    cli.ok("claim", "list")
    assert len(calls) == 2
