# Kinerja SaaS: one image for the API (default command), the worker and the migrate step.
#
#   docker build -t kinerja-saas .
#   docker compose up --build          # see docker-compose.yml
#
# The same image runs `kinerja worker`, `kinerja migrate` and `kinerja seed-demo` when
# given those commands.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# Copy only what `pip install .` needs: the packaging metadata (pyproject.toml names
# README.md as the readme, so it must be there) and the four packages. tests/, bench/,
# docs/ and local state (.venv/, .kinerja/, .env) stay out of the image.
WORKDIR /src
COPY pyproject.toml README.md ./
COPY kinerja_saas ./kinerja_saas
COPY schema ./schema
COPY tenants ./tenants
COPY workers ./workers
RUN pip install . \
    && cd / \
    && rm -rf /src

# An unprivileged user that owns nothing but its home directory. Numeric ids, so that
# orchestrators that insist on runAsNonRoot can check them.
RUN groupadd --system --gid 10001 kinerja \
    && useradd --system --uid 10001 --gid kinerja --create-home --home-dir /home/kinerja kinerja
USER 10001:10001
WORKDIR /home/kinerja

ENV KINERJA_ENV=production
EXPOSE 8000
CMD ["kinerja", "serve", "--host", "0.0.0.0", "--port", "8000"]
