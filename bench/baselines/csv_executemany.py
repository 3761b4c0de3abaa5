"""Baseline for `claimtrack import`: csv.reader the sheet and executemany its rows into one bare
table, in one transaction. The practical lower bound for getting a CSV into SQLite from Python.

    python bench/baselines/csv_executemany.py DB_FILE SHEET.csv
"""

import csv
import sqlite3
import sys


def main(db: str, sheet: str) -> None:
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("BEGIN")
    with open(sheet, newline="", encoding="utf-8-sig") as file:
        rows = csv.reader(file)
        columns = len(next(rows))  # one bare column per column of the sheet
        conn.execute(f"CREATE TABLE bare ({', '.join(f'c{i} TEXT' for i in range(columns))})")
        placeholders = ", ".join("?" * columns)
        conn.executemany(f"INSERT INTO bare VALUES ({placeholders})", rows)  # noqa: S608
    conn.execute("COMMIT")
    conn.close()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
