using FaceService.ModelBuilder;
using FaceService.ModelBuilder.Conversion;

// One line per command; each command lives in its own file.
var commands = new CommandSet
{
    ConvertCommand.Command,
    ParityInputsCommand.Command,
    QuantizationRangesCommand.Command,
};

return commands.Run(args);
