from hyperota_desktop.app.gui_entry import main

raise SystemExit(main())
