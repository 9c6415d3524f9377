import pytest

pytestmark = pytest.mark.browser


def test_smoke(lab_server, open_notebook):
    path = lab_server.write_notebook(
        "smoke.ipynb",
        [
            "import ipywidgets as w, time\nb = w.HTML('<b>one</b>'); display(b)",
            "for s in ('two','three'):\n    time.sleep(1); b.value = f'<b>{s}</b>'",
            "print('done')",
        ],
    )
    nb = open_notebook(path)
    nb.run_all()
    seen = list(nb.poll_text(nb.output(0), lambda t: "three" in t))
    print(seen)
    print(nb.wait_all_executed())
    nb.screenshot("smoke")
    print(nb.errors())
