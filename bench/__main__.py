from bench.advance import main

main()
