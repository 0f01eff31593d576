/// The registry of subcommands. Adding a command is adding its file and one entry here.
enum Commands {
  static let all: [Command] = [
    doctor,
    check,
    predict,
    roofline,
    sweep,
    checkConvergence,
    simulate,
    plotData,
    inspect,
    merge,
  ]
}
