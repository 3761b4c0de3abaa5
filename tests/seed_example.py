"""The seed article (Daily NK, ../shared/seed/) entered through the CLI, for the report,
explain and as-of tests: two informants relayed by one outlet, and what the police, a smuggler
and a "mid-progress report" said through them.

One convention, as README and seeds/ teach it: who said it is the --source; those who passed it
on are --via, in order (police → the Ryanggang informant → Daily NK); --derived-from is only
for a source that repeats another."""

from __future__ import annotations

HALT = "The anti-socialist crackdown had largely stopped by June 2018."


def enter_seed(cli) -> None:
    run = cli.ok
    run("source", "add", "Daily NK", "--key", "dnk", "--kind", "outlet", "--reliability", "C")
    run("source", "add", "Ryanggang Province informant", "--key", "src-ryanggang",
        "--kind", "informant")  # fmt: skip
    run("source", "add", "North Hamgyong Province informant", "--key", "src-nhamgyong",
        "--kind", "informant")  # fmt: skip
    run("source", "add", "Police who ran the crackdown", "--key", "police", "--kind", "official")
    run("source", "add", "Interrogated smuggler", "--key", "smuggler", "--kind", "person")
    run("source", "add", "Mid-progress report", "--key", "mid-report", "--kind", "document")

    run("claim", "add", HALT, "--key", "halt", "--tag", "crackdown", "--event-date", "2018-06")
    run("evidence", "add", "halt", "--source", "src-ryanggang", "--supports", "--credibility",
        "3", "--via", "dnk", "--quote", "the crackdowns have stopped")  # fmt: skip
    run("evidence", "add", "halt", "--source", "src-nhamgyong", "--supports", "--credibility",
        "3", "--via", "dnk", "--quote", "the crackdown noticeably fizzled out by June")  # fmt: skip

    run("claim", "add", "Police faced strong popular backlash during the crackdown.",
        "--key", "backlash", "--tag", "crackdown")  # fmt: skip
    run("evidence", "add", "backlash", "--source", "police", "--supports", "--credibility", "3",
        "--via", "src-ryanggang", "--via", "dnk",
        "--quote", "a great deal of backlash from the local population")  # fmt: skip
    run("evidence", "add", "backlash", "--source", "smuggler", "--supports", "--credibility",
        "4", "--via", "src-ryanggang", "--via", "dnk",
        "--quote", "they also live life like 'anti-socialists'")  # fmt: skip

    run("claim", "add", "Kim Jong Un said the people should not be turned into the enemy.",
        "--key", "kim-order", "--tag", "kim")  # fmt: skip
    run("evidence", "add", "kim-order", "--source", "mid-report", "--supports", "--credibility",
        "4", "--via", "src-nhamgyong", "--via", "dnk",
        "--quote", "the people should not be turned into the enemy")  # fmt: skip
    run("link", "backlash", "halt", "--supports")
