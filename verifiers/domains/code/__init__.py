"""The code domain: run the final answer's program against tests in the sandbox."""
