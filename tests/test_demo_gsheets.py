"""The Google Sheets demo (make demo-gsheets) runs the whole cycle within the request budget."""

import importlib.util
from pathlib import Path


def test_google_demo_runs_in_few_requests(tmp_path):
    path = Path(__file__).parent.parent / "examples" / "demo_gsheets.py"
    spec = importlib.util.spec_from_file_location("demo_gsheets", path)
    demo = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(demo)
    costs = demo.run(tmp_path / "cycle")
    schedule, sheets, ingest, finalize = costs.values()
    owners = 6
    assert schedule == {"writes": 2 + owners, "reads": 0}  # create in the folder, batchUpdate, sharing
    assert sheets["writes"] <= 3 + owners and sheets["reads"] == 2  # schedule read back: metadata + batchGet
    assert ingest == {"writes": 2, "reads": 1}  # one batchGet of every count tab; results create + batchUpdate
    assert finalize["writes"] == 2  # a Drive copy of the schedule, and its regeneration in one batchUpdate
