"""One small builder per tab: ``build(demo, models)`` adds the tab's components and events to the open Blocks."""
