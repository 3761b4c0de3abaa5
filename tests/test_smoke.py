"""The walkthrough of the README, end to end in-process, on every engine."""


def test_two_informants_relayed_by_one_outlet_corroborate(cli):
    cli.ok("source", "add", "Daily NK", "--key", "dnk", "--kind", "outlet", "--reliability", "C")
    cli.ok("source", "add", "Ryanggang informant", "--key", "ryg", "--kind", "informant")
    cli.ok("source", "add", "North Hamgyong informant", "--key", "nhg", "--kind", "informant")
    cli.ok("claim", "add", "The crackdown had largely stopped by June 2018.", "--key", "halt")
    cli.ok("evidence", "add", "halt", "--source", "ryg", "--supports", "--via", "dnk")
    assert cli.ok("claim", "show", "halt", "--json").json()["status"] == "unverified"
    cli.ok("evidence", "add", "halt", "--source", "nhg", "--supports", "--via", "dnk")
    shown = cli.ok("claim", "show", "halt", "--json").json()
    assert (shown["status"], shown["support_origins"], shown["contradict_origins"]) == (
        "corroborated",
        2,
        0,
    )
