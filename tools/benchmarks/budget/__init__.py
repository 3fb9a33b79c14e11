# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Budget benchmark: every pre-training method under one compute budget, several seeds, one evaluation."""
