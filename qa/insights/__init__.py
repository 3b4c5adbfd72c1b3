"""What readers wanted to know: `report.Insights` queues one row per question (with
`QA_INSIGHTS` on) and reads reports back; `recording` writes the rows in the background;
`grouping` groups like questions; `text` renders a report for `qa insights`.

Imports `index/` and `qa.answer.passages` only: settings reach it as arguments.
"""
