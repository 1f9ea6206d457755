"""What a runner process imports: the optional IRI checker of jsonschema stays out (it builds a
parser at import, seconds of CPU per run) and notebooks are still validated."""

import subprocess
import sys


def test_the_runner_skips_the_iri_checker_and_still_validates_notebooks():
    code = (
        "import sys, helpers.runner, papermill, nbformat\n"
        "assert sys.modules.get('rfc3987_syntax') is None, 'rfc3987_syntax imported'\n"
        "nb = nbformat.v4.new_notebook()\n"
        "nb.cells.append(nbformat.v4.new_code_cell('x = 1'))\n"
        "nbformat.validate(nb)\n"
        "nb.cells[0]['outputs'] = 'not a list'\n"
        "try:\n"
        "    nbformat.validate(nb)\n"
        "except nbformat.ValidationError:\n"
        "    print('invalid notebook refused')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert "invalid notebook refused" in done.stdout
