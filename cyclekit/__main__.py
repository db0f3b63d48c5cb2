from cyclekit.cli import main

main()
