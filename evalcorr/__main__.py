from evalcorr.cli import main

raise SystemExit(main())
