import ArgumentParser
import Archive
import Foundation

/// `scinti users`: personal accounts of `scinti serve` in the archive database (roles, passwords, disabling).
struct UsersCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "users",
        abstract: "Manage the accounts of `scinti serve`: add, passwd, disable, enable, list (roles: \(Role.allCases.map(\.rawValue).joined(separator: ", "))).",
        subcommands: [Add.self, Passwd.self, Disable.self, Enable.self, List.self])

    struct ArchiveOption: ParsableArguments {
        @Option(help: "Archive folder (the one `scinti serve --archive` serves).") var archive = "scinti-archive"
        @Option(help: "The database `scinti serve --database` uses: with postgres://… the accounts are those every server on that database shares (docs/scale.md).") var database: String?

        func open() throws -> Archive {
            guard FileManager.default.fileExists(atPath: archive) else { throw fail("no archive folder \(archive) (create it with `scinti serve --archive \(archive)` or `scinti pacs listen`)") }
            do {
                let choice = try DatabaseChoice.open(database)
                return try Archive(directory: archive, index: choice.index, audit: choice.audit)
            } catch { throw failure(error, "cannot open the archive \(archive)") }
        }
    }

    /// Records a change made from the command line (actor: the operating-system user).
    static func audit(_ archive: Archive, _ detail: String) throws {
        let who = ProcessInfo.processInfo.environment["SUDO_USER"] ?? ProcessInfo.processInfo.environment["USER"] ?? "uid \(getuid())"
        do { try archive.appendAudit(AuditRecord(actor: who, actorKind: .cli, source: ProcessInfo.processInfo.hostName, action: .configuration, detail: detail)) } catch {
            throw fail("cannot write the audit record: \(error)")
        }
    }

    /// The password from `--password`, else asked on the terminal (twice, without echo), else the first line of
    /// standard input (scripts).
    static func password(_ given: String?, for user: String) throws -> String {
        if let given { return given }
        if isatty(0) == 1 {
            let first = try readHidden("New password for \(user): ")
            let second = try readHidden("Repeat the password: ")
            guard first == second else { throw fail("the two passwords differ") }
            return first
        }
        guard let line = readLine(strippingNewline: true), !line.isEmpty else { throw fail("no password: give --password, or one line on standard input") }
        return line
    }

    static func readHidden(_ prompt: String) throws -> String {
        FileHandle.standardError.write(Data(prompt.utf8))
        var old = termios(), quiet = termios()
        tcgetattr(0, &old)
        quiet = old
        quiet.c_lflag &= ~tcflag_t(ECHO)
        tcsetattr(0, TCSANOW, &quiet)
        defer { tcsetattr(0, TCSANOW, &old); FileHandle.standardError.write(Data("\n".utf8)) }
        guard let line = readLine(strippingNewline: true) else { throw fail("no password read") }
        return line
    }

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a user with a role (asks for the password when --password is not given).")
        @Argument(help: "Login name (letters, digits, '.', '_', '-').") var name: String
        @Option(help: "Role: \(Role.allCases.map(\.rawValue).joined(separator: ", ")).") var role: String
        @Option(help: "Password (visible in the process list and shell history: prefer the prompt or standard input).") var password: String?
        @OptionGroup var options: ArchiveOption

        func run() throws {
            let r: Role
            do { r = try Role.parse(role) } catch { throw failure(error, "--role") }
            let archive = try options.open()
            let p = try UsersCommand.password(password, for: name)
            do { try archive.addUser(name: name, role: r, password: p) } catch { throw failure(error) }
            try UsersCommand.audit(archive, "user \(name) added with role \(r.rawValue) (scinti users add)")
            emit("added \(name) (\(r.rawValue): \(r.rights.sorted().map(\.rawValue).joined(separator: ", ")))\n")
        }
    }

    struct Passwd: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Set a user's password (clears a lock-out and ends the user's sessions).")
        @Argument(help: "Login name.") var name: String
        @Option(help: "New password (prefer the prompt or standard input).") var password: String?
        @OptionGroup var options: ArchiveOption

        func run() throws {
            let archive = try options.open()
            guard try archive.users().contains(where: { $0.name == name }) else { throw fail("no user \(name) in \(options.archive)") }
            let p = try UsersCommand.password(password, for: name)
            do { try archive.setPassword(user: name, password: p) } catch { throw failure(error) }
            try UsersCommand.audit(archive, "password of \(name) changed (scinti users passwd)")
            emit("password of \(name) changed\n")
        }
    }

    /// Disables (`disabled`) or enables a user, records it and says so.
    static func setDisabled(_ name: String, _ disabled: Bool, _ options: ArchiveOption) throws {
        let archive = try options.open()
        let verb = disabled ? "disable" : "enable"
        do { try archive.setDisabled(user: name, disabled) } catch { throw failure(error) }
        try audit(archive, "user \(name) \(verb)d (scinti users \(verb))")
        emit("\(verb)d \(name)\n")
    }

    struct Disable: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Disable a user (no login; the user's sessions end).")
        @Argument(help: "Login name.") var name: String
        @OptionGroup var options: ArchiveOption
        func run() throws { try UsersCommand.setDisabled(name, true, options) }
    }

    struct Enable: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Enable a disabled user again.")
        @Argument(help: "Login name.") var name: String
        @OptionGroup var options: ArchiveOption
        func run() throws { try UsersCommand.setDisabled(name, false, options) }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the users: name, role, state, failed logins.")
        @Flag(help: "JSON array instead of a table.") var json = false
        @OptionGroup var options: ArchiveOption
        func run() throws {
            let archive = try options.open()
            let users: [UserAccount]
            do { users = try archive.users() } catch { throw failure(error) }
            if json {
                let e = JSONEncoder(); e.outputFormatting = [.sortedKeys, .prettyPrinted]
                emit(String(decoding: try e.encode(users), as: UTF8.self) + "\n")
                return
            }
            emit("name                 role          state     failed  created\n")
            for u in users {
                let state = u.disabled ? "disabled" : u.lockedUntil.map { $0 > Archive.timestamp(Date()) ? "locked" : "active" } ?? "active"
                emit(u.name.padding(toLength: 20, withPad: " ", startingAt: 0) + " " + u.role.rawValue.padding(toLength: 13, withPad: " ", startingAt: 0) + " "
                     + state.padding(toLength: 9, withPad: " ", startingAt: 0) + " " + String(u.failedLogins).padding(toLength: 7, withPad: " ", startingAt: 0) + " " + u.created + "\n")
            }
        }
    }
}
