from sm_lint.cli import main

raise SystemExit(main())
