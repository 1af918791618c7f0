using Alignment.Cli;

return AlignApp.Run(args, Console.Out, Console.Error);
