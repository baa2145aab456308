Console.Error.WriteLine("sower: not built yet");
return 2;
