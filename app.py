"""gan-toolkit's Gradio app: ``python app.py`` (also the entry point on Hugging Face Spaces).

Serves on 127.0.0.1:7860 by default; GRADIO_SERVER_NAME / GRADIO_SERVER_PORT (or PORT) override it.
Bundled models are read from weights/ (or $GAN_TOOLKIT_WEIGHTS). The tabs live in gan_app/.
"""

import os

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

from gan_app import build_demo, main  # noqa: E402

demo = build_demo()

if __name__ == "__main__":
    main(demo)
