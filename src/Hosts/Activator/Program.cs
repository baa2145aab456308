Console.Error.WriteLine("sower-activator: not built yet");
return 1;
