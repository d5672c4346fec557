"""Translation of what people write, both ways, and voice notes as text — the pure part.

::

    flow (update's transaction)                 job runner (bot/translation/runner.py, scheduler tick)
    ───────────────────────────                 ─────────────────────────────────────────────────────
    TranslationPolicy.for_team(…) ─┐            claim due jobs ─> Transcriber / ProtectingTranslator
    TranslationPolicy.voice(…)     ├─> store.translations.request(job) ──> translation_jobs (table)
    TranslationPolicy.for_resident ┘                               <── result, or retry with backoff,
    view.with_translation(t, original, job)  <── store.translations.for_sources(…)    or give up

* :mod:`.languages` — kiezbot's codes and the services' codes; when a text needs translating.
* :mod:`.ports` — the service ports (:class:`~.ports.TranslationEngine`, :class:`~.ports.Translator`,
  :class:`~.ports.Transcriber`, :class:`~.ports.AudioSource`), the store port
  (:class:`~.ports.TranslationJobs`) and the typed errors the runner acts on.
* :mod:`.protect` — HTML-safe translation over any engine (tags, placeholders, line breaks, URLs,
  phone numbers, e-mail addresses kept and verified).
* :mod:`.jobs` — the durable job as plain data, retries with backoff, what a flow asks for.
* :mod:`.view` — how a translation is shown: marked, with the original beneath, in the reader's language.

With no service configured (:class:`~.jobs.TranslationPolicy` ``()``, "none") flows ask for nothing
and show everything exactly as before.
"""
from dialogs.translation.jobs import Job, JobRequest, Source, TranslationPolicy
from dialogs.translation.ports import RateLimited, Refused, ServiceError, Unavailable

__all__ = ["Job", "JobRequest", "RateLimited", "Refused", "ServiceError", "Source", "TranslationPolicy",
           "Unavailable"]
