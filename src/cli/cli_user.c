/*
 * cli_user.c - `mtag user add|list|disable|enable|admin`: accounts from the
 * command line, through the same core operations as the API.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "base/arena.h"
#include "base/clock.h"
#include "cli/cli.h"
#include "core/core.h"
#include "core/core_auth.h"
#include "base/xalloc.h"

/* A password of 1,024 characters (core's most) of 4 bytes each, its line end, the NUL. */
#define PASSWORD_LINE_MAX (1024 * 4 + 3)

enum { FLAG_NAME, FLAG_ADMIN, FLAG_REVOKE };
static const struct cli_flag user_flags[] = {
	[FLAG_NAME] = { "name", true },
	[FLAG_ADMIN] = { "admin", false },
	[FLAG_REVOKE] = { "revoke", false },
	{ NULL, false },
};

/* The terminal as it was before the prompt, put back if a signal ends the process there. */
static struct termios saved_tty;

static void restore_tty(int sig)
{
	tcsetattr(STDIN_FILENO, TCSANOW, &saved_tty); /* async-signal-safe */
	signal(sig, SIG_DFL);
	raise(sig);
}

/*
 * One line from stdin; on a terminal, prompt without echo (Ctrl-C there puts
 * the echo back). False on EOF; *long_line when the line does not fit (it
 * would be cut, and the account made with another password than given).
 */
static bool read_password(char *buf, size_t n, bool *long_line)
{
	bool tty = isatty(STDIN_FILENO);
	struct termios quiet;
	void (*was[3])(int) = { SIG_DFL, SIG_DFL, SIG_DFL };
	static const int sigs[3] = { SIGINT, SIGTERM, SIGHUP };
	*long_line = false;
	if (tty) {
		fprintf(stderr, "password: ");
		tcgetattr(STDIN_FILENO, &saved_tty);
		for (int i = 0; i < 3; i++)
			was[i] = signal(sigs[i], restore_tty);
		quiet = saved_tty;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
	}
	bool ok = fgets(buf, (int)n, stdin) != NULL;
	if (tty) {
		tcsetattr(STDIN_FILENO, TCSANOW, &saved_tty);
		for (int i = 0; i < 3; i++)
			signal(sigs[i], was[i]);
		fputc('\n', stderr);
	}
	if (ok && !strchr(buf, '\n') && strlen(buf) + 1 == n && !feof(stdin))
		*long_line = true;
	if (ok)
		buf[strcspn(buf, "\r\n")] = '\0';
	return ok;
}

static int user_add(struct core *c, struct arena *a, const struct cli_args *args)
{
	char pw[PASSWORD_LINE_MAX];
	if (args->npos != 2) {
		fprintf(stderr, "mtag user add: expected one EMAIL\n");
		return CLI_USAGE;
	}
	bool long_line;
	if (!read_password(pw, sizeof(pw), &long_line)) {
		fprintf(stderr, "mtag user add: no password given on stdin\n");
		return CLI_USAGE;
	}
	if (long_line) {
		memset(pw, 0, sizeof(pw));
		fprintf(stderr, "mtag user add: the password is too long (at most 1024 characters)\n");
		return CLI_USAGE;
	}
	struct core_user u;
	struct core_failure f = { 0 };
	enum mtag_err e = core_user_add(c, a, args->positional[1], pw, args->flags[FLAG_NAME],
					args->flags[FLAG_ADMIN] != NULL, &u, &f);
	memset(pw, 0, sizeof(pw));
	if (e) {
		fprintf(stderr, "mtag user add: %s\n", f.detail ? f.detail : err_detail(e));
		/* A bad email or password is the caller's input; an account that exists is not. */
		return e == ERR_VALIDATION ? CLI_USAGE : CLI_FAILURE;
	}
	printf("added %s (%s)%s\n", u.email, u.id, u.is_admin ? " as admin" : "");
	return CLI_OK;
}

static int user_list(struct core *c, struct arena *a)
{
	size_t n = 0, total = 0, offset = 0;
	printf("%-36s  %-32s  %-6s  %-5s  %s\n", "id", "email", "active", "admin", "created");
	do {
		struct core_user *us;
		enum mtag_err e = core_user_list(c, a, 500, offset, &us, &n, &total);
		if (e) {
			fprintf(stderr, "mtag user list: %s\n", err_detail(e));
			return CLI_FAILURE;
		}
		for (size_t i = 0; i < n; i++) {
			char iso[CLOCK_ISO_LEN];
			/* Padded by characters: printf's width counts bytes (ü is two). */
			size_t chars = 0;
			for (const char *p = us[i].email; *p; p++)
				chars += ((unsigned char)*p & 0xC0) != 0x80;
			printf("%-36s  %s%*s  %-6s  %-5s  %.19sZ\n", us[i].id, us[i].email,
			       chars < 32 ? (int)(32 - chars) : 0, "", us[i].is_active ? "yes" : "no",
			       us[i].is_admin ? "yes" : "no", clock_format_iso(us[i].created_at, iso));
		}
		offset += n;
	} while (n > 0 && offset < total);
	return CLI_OK;
}

/* disable, enable, admin: one EMAIL each. */
static int user_flag(struct core *c, struct arena *a, const struct cli_args *args, const char *verb)
{
	if (args->npos != 2) {
		fprintf(stderr, "mtag user %s: expected one EMAIL\n", verb);
		return CLI_USAGE;
	}
	const char *email = args->positional[1];
	enum mtag_err e;
	if (!strcmp(verb, "admin"))
		e = core_user_set_admin(c, a, email, args->flags[FLAG_REVOKE] == NULL);
	else
		e = core_user_set_active(c, a, email, !strcmp(verb, "enable"));
	if (e == ERR_NOT_FOUND) {
		fprintf(stderr, "mtag user %s: no account with email %s\n", verb, email);
		return CLI_FAILURE;
	}
	if (e) {
		fprintf(stderr, "mtag user %s: %s\n", verb, err_detail(e));
		return CLI_FAILURE;
	}
	printf("%s: %s\n", email, !strcmp(verb, "admin") ? (args->flags[FLAG_REVOKE] ? "no longer admin" : "admin")
				 : !strcmp(verb, "enable") ? "enabled" : "disabled; sessions ended");
	return CLI_OK;
}

int cli_user(int argc, char **argv)
{
	struct cli_args args;
	struct config cfg;
	struct core *core = NULL;
	struct arena a = ARENA_INIT;
	char err[512];
	int status = CLI_USAGE;

	config_init(&cfg);
	if (!cli_parse("user", argc, argv, user_flags, &args))
		return CLI_USAGE;
	if (args.help || args.npos == 0) {
		cli_print_usage("user");
		return args.help ? CLI_OK : CLI_USAGE;
	}
	const char *verb = args.positional[0];
	if (strcmp(verb, "add") && strcmp(verb, "list") && strcmp(verb, "disable") &&
	    strcmp(verb, "enable") && strcmp(verb, "admin")) {
		fprintf(stderr, "mtag user: unknown action '%s' (add, list, disable, enable, admin)\n", verb);
		return CLI_USAGE;
	}
	if (!strcmp(verb, "list") && args.npos > 1) {
		fprintf(stderr, "mtag user list: unexpected argument '%s'\n", args.positional[1]);
		return CLI_USAGE;
	}
	if (!cli_load_config(&args, &cfg))
		goto out;
	status = CLI_FAILURE;
	if (core_open(&cfg, true, &core, err, sizeof(err))) {
		fprintf(stderr, "mtag: %s\n", err);
		goto out;
	}
	if (!strcmp(verb, "add"))
		status = user_add(core, &a, &args);
	else if (!strcmp(verb, "list"))
		status = user_list(core, &a);
	else
		status = user_flag(core, &a, &args, verb);
out:
	arena_release(&a);
	core_free(core);
	config_release(&cfg);
	return status;
}
