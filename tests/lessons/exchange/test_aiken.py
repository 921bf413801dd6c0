from lessons.exchange.aiken import read_aiken

SAMPLE = """What is 2+2?
A. 3
B) 4
ANSWER: B

Broken question
A. only
B. two

Capital of France?
A. Paris
B. Rome
ANSWER: C
"""


def test_aiken_imports_good_and_skips_malformed_with_line() -> None:
    report = read_aiken(SAMPLE)
    assert report.format == "aiken"
    (question,) = report.lesson["blocks"][0]["questions"]
    assert question["options"] == ["3", "4"] and question["answer"] == 1
    assert [s.item for s in report.skipped] == ["line 6", "line 10"]
