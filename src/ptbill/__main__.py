from ptbill.cli.main import main

main()
