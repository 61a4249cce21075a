from panhuo.cli import main

main()
