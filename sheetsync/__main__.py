from sheetsync.ops.cli import main

main()
