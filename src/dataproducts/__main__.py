from dataproducts.cli import main

raise SystemExit(main())
