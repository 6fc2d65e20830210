/* notify.h - tell the person: a desktop notification (freedesktop
 * Notifications over the session bus, with sd-bus) and a line on stderr,
 * which is the journal when rgs-enroll runs as a systemd service. */
#ifndef RGS_NOTIFY_H
#define RGS_NOTIFY_H

typedef enum {
  RGS_NOTE_INFO = 0,       /* journal priority info, urgency normal */
  RGS_NOTE_WARNING,        /* warning, urgency normal */
  RGS_NOTE_ERROR,          /* err, urgency critical */
} rgs_note_level;

typedef struct rgs_notifier rgs_notifier;

/* desktop 0: stderr/journal only. The session bus is opened on first use;
 * when there is no bus or no notification service the notifier says so
 * once and carries on with stderr. Free with rgs_notifier_free(). NULL on
 * ENOMEM. */
rgs_notifier *rgs_notifier_new(int desktop);
void rgs_notifier_free(rgs_notifier *n);

/* summary and body: translated UTF-8 sentences (body may be NULL). They are
 * cleaned (control characters dropped, markup characters escaped) before
 * they reach the bus. With replace set, the notification replaces the last
 * one shown (a step's "started" by its outcome). Returns 1 when a desktop
 * notification was shown, 0 otherwise; the line on stderr is always
 * written. */
int rgs_notify(rgs_notifier *n, rgs_note_level level, int replace, const char *summary,
               const char *body);

/* The line on stderr / the journal only, no desktop notification (for what
 * a person need not be interrupted by). */
void rgs_notify_log(rgs_notifier *n, rgs_note_level level, const char *text);

/* Copy text into out (size outlen, NUL-terminated), keeping printable
 * UTF-8: control characters and broken UTF-8 become spaces (newlines are
 * kept) and, with markup_safe, < > & become &lt; &gt; &amp; (the body of a
 * notification may be read as markup). Cut at a character boundary. */
void rgs_notify_clean(const char *text, char *out, size_t outlen, int markup_safe);

#endif
