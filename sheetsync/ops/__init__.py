"""Operations: the command line (cli, over the library calls in app), the daily loop
(serve), set-up checks (doctor), logging, the demo, `adopt` and the benchmark.

The outermost layer: it may import everything; nothing else imports it.
"""
