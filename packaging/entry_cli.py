from hyperota_desktop.app.cli_entry import main

raise SystemExit(main())
