"""Jupyter's own kernel conformance suite (jupyter_kernel_test) against the odibi kernel."""
import unittest

import jupyter_kernel_test


class OdibiKernelTests(jupyter_kernel_test.KernelTests):
    kernel_name = 'odibi'
    language_name = 'typescript'
    file_extension = '.ts'

    code_hello_world = 'console.log("hello, world")'
    code_stderr = 'console.error("oops")'
    completion_samples = [{'text': 'Math.flo', 'matches': {'floor'}}]
    complete_code_samples = ['1 + 1', 'const x = 1;', '%%sql k\nSELECT 1']
    incomplete_code_samples = ['function f() {', 'const s = [1,']
    code_generate_error = 'throw new Error("boom")'
    code_execute_result = [
        {'code': '6 * 7', 'result': '42'},
        {'code': '"a" + "b"', 'result': "'ab'"},
    ]
    code_display_data = [{'code': 'import * as tslab from "tslab";\ntslab.display.html("<b>hi</b>")', 'mime': 'text/html'}]
    code_history_pattern = '6*7'
    supported_history_operations = ('tail', 'range', 'search')
    code_inspect_sample = 'Math.floor'


if __name__ == '__main__':
    unittest.main()
