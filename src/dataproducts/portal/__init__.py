"""The product portal: ``dp serve`` (one web application over the run records) and ``dp portal build``
(the same pages as a static site). Issue 14, part 1."""
