from sartriage.cli import main

raise SystemExit(main())
