"""Everything a user reads: rows and reports as text, and how it reaches the terminal."""
