"""`python -m hyperota_desktop` starts the GUI, like `hyperota-desktop`."""

from hyperota_desktop.app.gui_entry import main

if __name__ == "__main__":
    raise SystemExit(main())
