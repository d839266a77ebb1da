/**
 * The safety policy of the pickle interpreter: which globals (GLOBAL, STACK_GLOBAL, INST) a pickle may load.
 *
 * {@link checkGlobal} refuses, with an {@link UnsafeGlobalError} naming the global:
 * - any global one of whose dotted components is on the deny-list ({@link DENIED_COMPONENTS}: modules and functions
 *   that run code, touch the system or resolve other names);
 * - any `builtins` / `__builtin__` name except the inert container and value types ({@link INERT_BUILTINS});
 * - any malformed name;
 * - any global whose module is not on the allow-list ({@link DEFAULT_ALLOWED_MODULES} plus `allowModules`).
 *
 * A global that passes is only ever loaded as an inert reference: it is handled by a project handler or becomes an
 * inert record, never resolved or called.
 * @module
 */
import { UnsafeGlobalError } from "./errors.ts";

/**
 * Dotted-name components that are never accepted anywhere in a global: modules and functions that run code, touch
 * the system or resolve other names.
 */
export const DENIED_COMPONENTS: ReadonlySet<string> = new Set([
  // modules
  "os",
  "posix",
  "nt",
  "posixpath",
  "ntpath",
  "subprocess",
  "sys",
  "shutil",
  "socket",
  "importlib",
  "imp",
  "zipimport",
  "pkgutil",
  "pickle",
  "_pickle",
  "cPickle",
  "pickletools",
  "dill",
  "_dill",
  "cloudpickle",
  "joblib",
  "marshal",
  "shelve",
  "runpy",
  "code",
  "codeop",
  "webbrowser",
  "ctypes",
  "_ctypes",
  "cffi",
  "multiprocessing",
  "threading",
  "_thread",
  "thread",
  "concurrent",
  "asyncio",
  "signal",
  "pty",
  "tty",
  "platform",
  "commands",
  "popen2",
  "tempfile",
  "glob",
  "io",
  "_io",
  "fileinput",
  "urllib",
  "urllib2",
  "urllib3",
  "http",
  "httplib",
  "requests",
  "ftplib",
  "smtplib",
  "telnetlib",
  "xmlrpc",
  "ssl",
  "select",
  "selectors",
  "types",
  "inspect",
  "gc",
  "operator",
  "_operator",
  "functools",
  "itertools",
  "timeit",
  "trace",
  "bdb",
  "pdb",
  "cProfile",
  "profile",
  "doctest",
  "distutils",
  "setuptools",
  "pip",
  "site",
  "builtins_",
  "hub",
  "jit",
  "_jit_internal",
  "cpp_extension",
  "f2py",
  "ipython",
  "IPython",
  // functions and attributes
  "eval",
  "exec",
  "execfile",
  "compile",
  "__import__",
  "import_module",
  "getattr",
  "setattr",
  "delattr",
  "globals",
  "locals",
  "vars",
  "open",
  "input",
  "breakpoint",
  "help",
  "exit",
  "quit",
  "system",
  "popen",
  "Popen",
  "spawn",
  "spawnl",
  "spawnv",
  "execl",
  "execv",
  "execve",
  "execvp",
  "fork",
  "kill",
  "remove",
  "unlink",
  "rmtree",
  "call",
  "check_call",
  "check_output",
  "run",
  "runstring",
  "run_path",
  "run_module",
  "load",
  "loads",
  "load_inline",
  "apply",
  "__builtins__",
  "__globals__",
  "__subclasses__",
  "__getattribute__",
  "__reduce__",
  "__reduce_ex__",
  "__class__",
  "__dict__",
  "__code__",
  "__call__",
  "__init_subclass__",
  "__new__",
]);

/** `builtins` (`__builtin__` in Python 2 pickles) names that are inert value types and may be loaded. */
export const INERT_BUILTINS: ReadonlySet<string> = new Set([
  "set",
  "frozenset",
  "list",
  "dict",
  "tuple",
  "bytes",
  "bytearray",
  "str",
  "int",
  "float",
  "bool",
  "complex",
  "slice",
  "range",
  "object",
  "NotImplemented",
  "Ellipsis",
]);

/** Modules (and their submodules) whose globals become inert records by default. */
export const DEFAULT_ALLOWED_MODULES: readonly string[] = [
  "__builtin__",
  "builtins",
  "collections",
  "copyreg",
  "copy_reg",
  "_codecs",
  "numpy",
  "torch",
  "argparse",
  "pathlib",
  "datetime",
  "decimal",
  "fractions",
  "uuid",
  "models",
  "utils",
  "__main__",
  "ultralytics",
  "yolo",
  "easydict",
  "omegaconf",
];

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Decide whether a global may be loaded. Returns normally when it may; throws {@link UnsafeGlobalError} naming it
 * otherwise. See the module documentation for the policy.
 */
export function checkGlobal(module: string, name: string, allowModules: readonly string[] = []): void {
  const q = `${module}.${name}`;
  const modParts = module.split(".");
  const nameParts = name.split(".");
  const shown = JSON.stringify(q).slice(1, -1);
  if (![...modParts, ...nameParts].every((p) => IDENT.test(p))) {
    throw new UnsafeGlobalError(q, `Cannot load global "${shown}": not a well-formed Python module and name`);
  }
  const bad = [...modParts, ...nameParts].find((p) => DENIED_COMPONENTS.has(p));
  if (bad !== undefined) {
    throw new UnsafeGlobalError(
      q,
      `Cannot load global "${q}": refused by the safety policy ("${bad}" can run code or reach the system); the file may be malicious`,
    );
  }
  if (module === "builtins" || module === "__builtin__") {
    if (!INERT_BUILTINS.has(name)) {
      throw new UnsafeGlobalError(
        q,
        `Cannot load global "${q}": refused by the safety policy (only inert builtin types are allowed); the file may be malicious`,
      );
    }
    return;
  }
  const allowed = [...DEFAULT_ALLOWED_MODULES, ...allowModules].some((m) =>
    module === m || module.startsWith(`${m}.`)
  );
  if (!allowed) {
    throw new UnsafeGlobalError(
      q,
      `Cannot load global "${q}": module "${module}" is not on the allow-list of inert modules (pass it in allowModules, or --allow-module on the command line, if you trust the file)`,
    );
  }
}
